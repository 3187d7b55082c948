// Reads from our own server for the ES modules: same-origin cookies, an explicit
// Accept header, and a thrown Error for any answer that is not 2xx, so callers
// have one failure path (offline or refused: try again on the next frame).

async function get(url, accept) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: accept } });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response;
}

export async function getJson(url) {
  return (await get(url, "application/json")).json();
}

// A server-rendered page or fragment as a detached Document (inert: nothing in
// it runs or loads until its nodes are moved into the page).
export async function getHtml(url) {
  const text = await (await get(url, "text/html")).text();
  return new DOMParser().parseFromString(text, "text/html");
}
