// The API's base URL, stage included. `make dev` serves its own copy of this file with the
// running stack's URL; for a deployed page, set the stack's ApiUrl output here.
export const apiBaseUrl = "http://127.0.0.1:3000/dev";
