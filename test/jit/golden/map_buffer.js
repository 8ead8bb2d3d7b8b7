// chain_N_map_buffer: map#2 >in flow (shape N)
// slots:
//   f_0$0 = map#2 parameter f
//   pending_1$1 = elements pending for buffer#3
//   chunk$2 = buffer flow >in
//   p_1$3 = process buffer#3
//   shortfall$4 = runtime shortfall
return function chain_N_map_buffer($slots, xs, offset, n, stable) {
  const f_0$0 = $slots[0];
  const pending_1$1 = $slots[1];
  const chunk$2 = $slots[2];
  const p_1$3 = $slots[3];
  const shortfall$4 = $slots[4];
  let start = offset, end = offset + n;
  try {
    for (let i0 = start; i0 < end; i0++) {
      const x1 = xs[i0];
      {
        const x2 = f_0$0(x1);
        pending_1$1.push(x2);
      }
    }
  } finally {
    if (pending_1$1.length > 0) {
      const k = pending_1$1.length;
      try {
        {
          const moved3 = chunk$2(p_1$3, pending_1$1, 0, k);
          if (moved3 !== k) shortfall$4(p_1$3, ">in", moved3, k);
        }
      } finally {
        pending_1$1.length = 0;
      }
    }
  }
  return n;
};
//# sourceURL=pushback://chain/N/chain_N_map_buffer.js
