/**
 * get_host_uptime: a line like `uptime` prints, which is what Nova's libvirt
 * driver returns (" 10:20:59 up 2 days,  3:04,  load average: 0.00, 0.01, 0.05").
 * The user count of `uptime` is left out: the service has no honest way to know it.
 */

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export function formatHostUptime(now: Date, uptimeSeconds: number, loadavg: readonly number[]): string {
  const clock = `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
  const total = Math.max(0, Math.floor(uptimeSeconds));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const dayPart = days === 0 ? '' : `${days} day${days === 1 ? '' : 's'}, `;
  const timePart = hours === 0 ? `${minutes} min` : `${hours}:${pad(minutes)}`;
  const load = [0, 1, 2].map((i) => (loadavg[i] ?? 0).toFixed(2)).join(', ');
  return ` ${clock} up ${dayPart}${timePart},  load average: ${load}`;
}
