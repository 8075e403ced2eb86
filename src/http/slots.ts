import type { IncomingMessage } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';

export interface SlotLimits {
  /** Bodies read at once in the pool. */
  slots: number;
  /** Bodies one client address may always read at once: its share. */
  perAddress: number;
  /** Slots kept free for addresses within their share: past its share, an address takes one only while more are free. */
  keptFree: number;
  /** How long a request waits for a slot. */
  waitMs: number;
  /** Requests waiting in the pool, and of one address; beyond either, none waits. */
  waiting: number;
  waitingPerAddress: number;
}

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void;

interface Waiter {
  address: string;
  grant(release: Release): void;
}

/**
 * Body slots: at most `slots` request bodies read at once. An address within its share (`perAddress`) takes any free
 * slot; past it, only while more than `keptFree` slots are free, so that a crowd from one address never holds what
 * the others need, and a burst from one address still reads many bodies at once when no one else is waiting. A
 * request that finds no slot it may take waits (up to `waitMs`, up to `waiting` of them, `waitingPerAddress` of one
 * address); a freed slot goes to the first waiter that may take it.
 */
export class BodySlots {
  readonly #limits: SlotLimits;
  #free: number;
  readonly #held = new Map<string, number>();
  readonly #waiters: Waiter[] = [];
  readonly #waitingOf = new Map<string, number>();

  constructor(limits: SlotLimits) {
    this.#limits = limits;
    this.#free = limits.slots;
  }

  /**
   * A slot for a request from `address`: its release, or undefined when none came in time, too many wait, or the
   * caller went away first (`gone` fires).
   */
  take(address: string, gone: { once(event: 'close', listener: () => void): unknown }): Promise<Release | undefined> {
    if (this.#mayTake(address)) return Promise.resolve(this.#grant(address));
    if (
      this.#waiters.length >= this.#limits.waiting ||
      count(this.#waitingOf, address) >= this.#limits.waitingPerAddress
    ) {
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => {
      const leave = (release: Release | undefined) => {
        const i = this.#waiters.indexOf(waiter);
        if (i < 0) return;
        this.#waiters.splice(i, 1);
        add(this.#waitingOf, address, -1);
        clearTimeout(timer);
        resolve(release);
      };
      const waiter: Waiter = {
        address,
        grant: (release) => leave(release),
      };
      const timer = setTimeout(() => leave(undefined), this.#limits.waitMs);
      gone.once('close', () => leave(undefined));
      this.#waiters.push(waiter);
      add(this.#waitingOf, address, 1);
    });
  }

  /** Slots in use, for tests and metrics. */
  get inUse(): number {
    return this.#limits.slots - this.#free;
  }

  #mayTake(address: string): boolean {
    if (this.#free <= 0) return false;
    return count(this.#held, address) < this.#limits.perAddress || this.#free > this.#limits.keptFree;
  }

  #grant(address: string): Release {
    this.#free -= 1;
    add(this.#held, address, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#free += 1;
      add(this.#held, address, -1);
      this.#next();
    };
  }

  #next(): void {
    while (this.#free > 0) {
      const waiter = this.#waiters.find((w) => this.#mayTake(w.address));
      if (!waiter) return;
      waiter.grant(this.#grant(waiter.address));
    }
  }
}

function count(map: Map<string, number>, key: string): number {
  return map.get(key) ?? 0;
}

function add(map: Map<string, number>, key: string, n: number): void {
  const next = count(map, key) + n;
  if (next > 0) map.set(key, next);
  else map.delete(key);
}

/**
 * The address a request comes from, as the body slots count it. Behind `proxyHops` proxies that each append the
 * address they saw to `X-Forwarded-For` (Heroku's router: 1), it is the entry the outermost of them wrote; entries
 * further left were written by the caller and are not trusted. An IPv4-mapped IPv6 address counts as its IPv4
 * address, and an IPv6 address as its /64 (what one host is commonly given).
 */
export function clientAddress(req: IncomingMessage, proxyHops: number): string {
  let address = req.socket.remoteAddress ?? '';
  if (proxyHops > 0) {
    const header = req.headers['x-forwarded-for'];
    const entries = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((e) => e.trim());
    const entry = entries.length >= proxyHops ? entries[entries.length - proxyHops] : undefined;
    if (entry) address = entry;
  }
  return addressKey(address);
}

/** An address as one key: IPv4 as it is, IPv6 by its first 64 bits, anything else (a bad header) cut short. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return address.slice(0, 64);
  const [head, tail = ''] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
