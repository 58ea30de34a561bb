// Talking to the studio server: every call carries the token of the page's URL
// (header X-Kspec-Token; EventSource and frame URLs can only carry ?token=).

export const token = new URLSearchParams(location.search).get("token") || "";

export class ApiError extends Error {}

export async function api(path, body) {
  const init = {headers: {"X-Kspec-Token": token}};
  if (body !== undefined) {
    init.method = "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch("/api/" + path, init);
  const type = res.headers.get("content-type") || "";
  const data = type.includes("json") ? await res.json() : {html: await res.text()};
  if (!res.ok) throw new ApiError(data.error || `${res.status} ${res.statusText}`);
  return data;
}

export function withToken(path) {
  return "/api/" + path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token);
}
