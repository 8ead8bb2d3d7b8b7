// chain_N_grep_map_reduce: grep#2 >in flow (shape N)
// slots:
//   p_0$0 = grep#2 parameter p
//   f_1$1 = map#3 parameter f
//   s_2$2 = reduce#4 state
//   retype$3 = runtime re-specialise this entry
//   f_2$4 = reduce#4 parameter f
return function chain_N_grep_map_reduce($slots, xs, offset, n, stable) {
  const p_0$0 = $slots[0];
  const f_1$1 = $slots[1];
  const s_2$2 = $slots[2];
  const retype$3 = $slots[3];
  const f_2$4 = $slots[4];
  let start = offset, end = offset + n;
  const acc_2$in = s_2$2.acc;
  if (typeof acc_2$in !== "number") return retype$3(xs, offset, n, stable);
  let acc_2 = +acc_2$in;
  try {
    for (let i0 = start; i0 < end; i0++) {
      const x1 = xs[i0];
      if (p_0$0(x1)) {
        const x2 = x1;
        {
          const x3 = f_1$1(x2);
          acc_2 = f_2$4(acc_2, x3);
        }
      }
    }
  } finally {
    s_2$2.acc = acc_2;
  }
  return n;
};
//# sourceURL=pushback://chain/N/chain_N_grep_map_reduce.js
