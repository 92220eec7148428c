/** Small builders for the nftables data-plane tests. */
import { NO_FLAGS, type Destination, type IpFamily, type Service, type ServiceKey } from '../model.ts';

export function dest(address: string, port: number, weight = 1, extra: Partial<Destination> = {}): Destination {
  const family: IpFamily = address.includes(':') ? 'inet6' : 'inet';
  return { family, address, port, method: 'NAT', weight, upperThreshold: 0, lowerThreshold: 0, ...extra };
}

export function tcp(address: string, port: number): ServiceKey {
  return { kind: 'address', family: address.includes(':') ? 'inet6' : 'inet', protocol: 'TCP', address, port };
}

export function service(key: ServiceKey, destinations: Destination[], extra: Partial<Service> = {}): Service {
  return { key, scheduler: 'wrr', flags: { ...NO_FLAGS }, destinations, ...extra };
}
