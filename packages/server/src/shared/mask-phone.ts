/** The one masking rule lives in the protocol package, shared with the web app. */
export { maskPhone } from '@umeme/protocol';
