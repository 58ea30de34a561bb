"""Seeing inside a model: every layer's values for one input (inspect, apply), the
activation functions and the model drawn (plot), and a self-contained HTML page of a
run (report; share/compare.py puts several runs side by side with it).

Sits above run/ (it reads run folders and opens trained models) and below tasks/
(the trainers write each run's report.html with it)."""
