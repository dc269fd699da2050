// A model of chained matvec layers for the `repeat` tests (stamping, the layers unit, auto's deep-repeat rule):
// `layers` instances of relu(h . w), d wide, fed by `input` (an op on x, or x itself), then one more product.
export function chainModel(layers: number, d = 640, input = "relu(x)"): string {
  return `model chain
const d = ${d}
const layers = ${layers}
input x: fp16[1, d]
param w_out: fp16[d, d]
block layer(h: fp16[1, d]) -> fp16[1, d] {
  param w: fp16[d, d]
  y = relu(matmul(h, w))
  return y
}
h = repeat layers layer(${input})
output out = matmul(h, w_out)
`;
}
