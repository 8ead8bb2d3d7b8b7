// chain_N_drop_take_collect: from#1 out> flow (shape N)
// slots:
//   s_1$0 = drop#2 state
//   retype$1 = runtime re-specialise this entry
//   settle$2 = take.settle
//   p_2$3 = process take#3
//   s_2$4 = take#3 state
//   s_3$5 = collect#4 state
return function chain_N_drop_take_collect($slots, xs, offset, n) {
  const s_1$0 = $slots[0];
  const retype$1 = $slots[1];
  const settle$2 = $slots[2];
  const p_2$3 = $slots[3];
  const s_2$4 = $slots[4];
  const s_3$5 = $slots[5];
  let start = offset, end = offset + n;
  const skip_1$in = s_1$0.skip;
  if (typeof skip_1$in !== "number") return retype$1(xs, offset, n);
  let skip_1 = +skip_1$in;
  const remaining_2$in = s_2$4.remaining;
  if (typeof remaining_2$in !== "number") return retype$1(xs, offset, n);
  let remaining_2 = +remaining_2$in;
  let items_3 = s_3$5.items;
  try {
    const k_1_ = Math.min(skip_1, end - start);
    skip_1 -= k_1_;
    start += k_1_;
    remaining_2 -= end - start;
    for (let i0 = start; i0 < end; i0++) {
      const x1 = xs[i0];
      items_3.push(x1);
    }
  } finally {
    s_1$0.skip = skip_1;
    s_2$4.remaining = remaining_2;
    s_3$5.items = items_3;
    settle$2(p_2$3);
  }
  return n;
};
//# sourceURL=pushback://chain/N/chain_N_drop_take_collect.js
