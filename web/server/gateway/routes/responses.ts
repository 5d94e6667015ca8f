// Response descriptions shared by the route tables (the OpenAPI document shows them per route).
export const error400 = { description: "Invalid input (field details in error.details)" };
export const error401 = { description: "Not signed in / API key missing, malformed, unknown or revoked" };
export const error403 = { description: "Your role does not allow this, or a signed-in write did not come from this site" };
export const error404 = { description: "Not found (or not yours)" };
export const error429 = { description: "Too many requests: wait for Retry-After seconds" };
