/** The release of the service (README changelog), shown by `GET /` and in the OpenAPI document. */
export const SERVICE_VERSION = '0.4.0';
