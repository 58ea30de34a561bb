"""The Keras subclasses and registered functions kspec ships (custom layers,
activations). Importing these needs Keras; `import builder` registers them as soon
as Keras loads, so a saved .keras file that uses them loads anywhere. The catalog
entries that build them live in catalog/layers/ and catalog/activations.py."""
