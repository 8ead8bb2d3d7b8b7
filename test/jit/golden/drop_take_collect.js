// chain_N_drop_take_collect: drop#2 >in flow (shape N)
// slots:
//   s_0$0 = drop#2 state
//   retype$1 = runtime re-specialise this entry
//   settle$2 = take.settle
//   p_1$3 = process take#3
//   s_1$4 = take#3 state
//   s_2$5 = collect#4 state
return function chain_N_drop_take_collect($slots, xs, offset, n, stable) {
  const s_0$0 = $slots[0];
  const retype$1 = $slots[1];
  const settle$2 = $slots[2];
  const p_1$3 = $slots[3];
  const s_1$4 = $slots[4];
  const s_2$5 = $slots[5];
  let start = offset, end = offset + n;
  const skip_0$in = s_0$0.skip;
  if ((skip_0$in | 0) !== skip_0$in || Object.is(skip_0$in, -0)) return retype$1(xs, offset, n, stable);
  let skip_0 = skip_0$in | 0;
  const remaining_1$in = s_1$4.remaining;
  if ((remaining_1$in | 0) !== remaining_1$in || Object.is(remaining_1$in, -0)) return retype$1(xs, offset, n, stable);
  let remaining_1 = remaining_1$in | 0;
  let items_2 = s_2$5.items;
  try {
    const k_0_ = Math.min(skip_0, end - start);
    skip_0 -= k_0_;
    start += k_0_;
    remaining_1 -= end - start;
    for (let i0 = start; i0 < end; i0++) {
      const x1 = xs[i0];
      items_2.push(x1);
    }
  } finally {
    s_0$0.skip = skip_0;
    s_1$4.remaining = remaining_1;
    s_2$5.items = items_2;
    settle$2(p_1$3);
  }
  return n;
};
//# sourceURL=pushback://chain/N/chain_N_drop_take_collect.js
