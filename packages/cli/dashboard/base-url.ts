// Where the API is: the server serves this page itself (`GET /dashboard`), so the API is on the
// page's origin, under whatever path prefix a proxy may have put in front of both.
export const BASE_URL = new URL('./', location.href).href.replace(/\/$/, '')
