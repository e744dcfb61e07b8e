/** tfjs-backend-wasm 4.22's pthread worker script (CommonJS, no types of its own): its text, as TF.js puts it in a Blob. */
declare module '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js' {
  const worker: { wasmWorkerContents: string };
  export default worker;
}
