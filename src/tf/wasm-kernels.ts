import type * as tfjs from '@tensorflow/tfjs';
import type { TF } from '../tasks/types.js';

type KernelFunc = tfjs.KernelFunc;

/**
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter, so no conv net could train on it ("Kernel not registered").
 * It does have Conv3DBackpropFilterV2: a 2-D convolution is a 3-D one of depth 1, so the 2-D filter gradient is
 * that kernel run on inputs reshaped to depth 1 (reshapes share data on wasm: no copies).
 */
export function registerWasmConv2DFilterGrad(tf: TF): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  const reshape = tf.getKernel('Reshape', 'wasm')!.kernelFunc;
  const filter3d = tf.getKernel('Conv3DBackpropFilterV2', 'wasm')!.kernelFunc;
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: tfjs.TensorInfo; dy: tfjs.TensorInfo };
    const a = attrs as unknown as {
      strides: number | [number, number];
      pad: unknown;
      dataFormat?: string;
      filterShape: [number, number, number, number];
    };
    if (a.dataFormat !== undefined && a.dataFormat !== 'NHWC')
      throw new Error(`Conv2DBackpropFilter on wasm: dataFormat ${a.dataFormat} is not supported (NHWC only)`);
    if (typeof a.pad !== 'string' && typeof a.pad !== 'number') throw new Error('Conv2DBackpropFilter on wasm: explicit padding is not supported');
    const [sh, sw] = typeof a.strides === 'number' ? [a.strides, a.strides] : a.strides;
    const at5 = (t: tfjs.TensorInfo) =>
      reshape({ inputs: { x: t }, backend, attrs: { shape: [t.shape[0]!, 1, ...t.shape.slice(1)] } }) as tfjs.TensorInfo;
    const x5 = at5(x);
    const dy5 = at5(dy);
    const dw5 = filter3d({
      inputs: { x: x5, dy: dy5 },
      backend,
      attrs: { strides: [1, sh, sw], pad: a.pad, filterShape: [1, ...a.filterShape] },
    }) as tfjs.TensorInfo;
    const dw = reshape({ inputs: { x: dw5 }, backend, attrs: { shape: a.filterShape } }) as tfjs.TensorInfo;
    for (const t of [x5, dy5, dw5]) (backend as tfjs.KernelBackend).disposeData(t.dataId);
    return dw;
  };
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc });
}
