import { describe, expect, it } from 'vitest';
import { objectId, objectIndex, localAddress, fullAddress, hostId } from '../../engine/address.js';
import { define } from '../../engine/definition.js';
import { IO } from '../../engine/io.js';
import { PortError, Process } from '../../engine/process.js';
import { cat } from '../../processes/elements/cat.js';

const wide = define('wide', { ports: Array.from({ length: 65536 }, (_, i) => `p${i}`) });

describe('the IO container', () => {
  it('hands out the lowest free object id and reuses ids after removal', () => {
    const io = new IO();
    const ps = [1, 2, 3, 4].map(() => new Process(io, cat));
    expect(ps.map((p) => objectIndex(p.id))).toEqual([1, 2, 3, 4]);
    ps[2].remove();
    ps[0].remove();
    expect(io.count).toBe(2);
    expect(objectIndex(new Process(io, cat).id)).toBe(1);
    expect(objectIndex(new Process(io, cat).id)).toBe(3);
    expect(objectIndex(new Process(io, cat).id)).toBe(5);
  });

  it('resolves local addresses, object ids and full addresses to processes', () => {
    const io = new IO({ host: hostId(9) });
    const a = new Process(io, cat);
    expect(io.processFor(a.id)).toBe(a);
    expect(io.processFor(localAddress(a.id, 1))).toBe(a);
    expect(io.processFor(fullAddress(hostId(9), a.id, 1))).toBe(a);
    expect(io.processFor(objectId(77))).toBeUndefined();
    expect(() => io.processFor(fullAddress(hostId(2), a.id, 0))).toThrow(/host 2: no remote route/);
  });

  it('routes other hosts through the remote resolver', () => {
    const seen: bigint[] = [];
    const io = new IO({ remote: (address) => { seen.push(address); return undefined; } });
    io.processFor(fullAddress(hostId(5), objectId(3), 2));
    expect(seen).toEqual([fullAddress(hostId(5), objectId(3), 2)]);
  });
});

describe('ports and connections', () => {
  it('connects symmetrically, with each side holding the other address', () => {
    const io = new IO();
    const a = new Process(io, cat);
    const b = new Process(io, cat);
    a.connect('out', b, 'in');
    expect(a.ports[1]).toBe(localAddress(b.id, 0));
    expect(b.ports[0]).toBe(localAddress(a.id, 1));
    expect(a.peer('out')).toEqual({ process: b, port: 'in' });
    expect(b.peer('in')).toEqual({ process: a, port: 'out' });
    expect(b.dependencies.has(a)).toBe(true);
    expect(a.dependencies.has(b)).toBe(false);
    expect(b.disconnect('in')).toBe(true);
    expect(a.isConnected('out')).toBe(false);
    expect(b.isConnected('in')).toBe(false);
    expect(b.dependencies.size).toBe(0);
    expect(a.disconnect('out')).toBe(false);
  });

  it('refuses to connect an occupied port and leaves both connections as they were', () => {
    const io = new IO();
    const [a, b, c] = [new Process(io, cat), new Process(io, cat), new Process(io, cat)];
    a.connect('out', b, 'in');
    expect(() => c.connect('out', b, 'in')).toThrow(PortError);
    expect(() => c.connect('out', b, 'in')).toThrow(`cat#2: port "in" is already connected to cat#1 "out"; refused connecting cat#3.out to cat#2.in`);
    expect(() => a.connect('out', c, 'in')).toThrow(/cat#1: port "out" is already connected/);
    expect(b.peer('in')?.process).toBe(a);
    expect(c.isConnected('out')).toBe(false);
    expect(c.isConnected('in')).toBe(false);
  });

  it('supports 65,536 ports on one process', () => {
    const io = new IO();
    const w = new Process(io, wide);
    const v = new Process(io, wide);
    w.connect('p65535', v, 'p0');
    expect(w.peer(65535)).toEqual({ process: v, port: 'p0' });
    expect(v.ports[0]).toBe(localAddress(w.id, 65535));
    expect(() => w.portNumber(65536)).toThrow(/no port number 65536/);
  });

  it('disconnects the far ends when a process is removed', () => {
    const io = new IO();
    const [a, b, c] = [new Process(io, cat), new Process(io, cat), new Process(io, cat)];
    a.connect('out', b, 'in');
    b.connect('out', c, 'in');
    b.remove();
    expect(a.isConnected('out')).toBe(false);
    expect(c.isConnected('in')).toBe(false);
    expect(io.processFor(b.id)).toBeUndefined();
  });
});
