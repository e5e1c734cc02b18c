import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { HEAT_CFNTOOLS_DIR, planUserData, USER_DATA_DIR } from '../../../../src/compute/translate/user-data.js';

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

/** One MIME part as Python's email package writes it (what Heat's build_userdata produces). */
function part(type: string, filename: string, body: string, encoding: '7bit' | 'base64' = '7bit'): string {
  const content = encoding === 'base64' ? `${Buffer.from(body).toString('base64').replace(/(.{76})/g, '$1\n')}\n` : body;
  return [`Content-Type: ${type}; charset="us-ascii"`, 'MIME-Version: 1.0', `Content-Transfer-Encoding: ${encoding}`, `Content-Disposition: attachment; filename="${filename}"`, '', content].join('\n');
}

function multipart(parts: readonly string[], boundary = '===============5138163484421307414=='): string {
  return [`Content-Type: multipart/mixed; boundary="${boundary}"`, 'MIME-Version: 1.0', '', ...parts.flatMap((p) => [`--${boundary}`, p]), `--${boundary}--`, ''].join('\n');
}

const SAHARA_SCRIPT = '#!/bin/bash\necho "ssh-rsa AAAAB3 Generated-by-Sahara" >> /home/ubuntu/.ssh/authorized_keys\nwc_notify --data-binary \'{"status": "SUCCESS"}\'\n';

/** Heat's HEAT_CFNTOOLS user data, the parts in Heat's order. */
const HEAT_CFNTOOLS = multipart([
  part('text/cloud-config', 'cloud-config', '#cloud-config\nuser: ec2-user\n'),
  part('text/cloud-boothook', 'boothook.sh', '#!/bin/bash\nsetenforce 0\n'),
  part('text/part-handler', 'part-handler.py', '#part-handler\ndef list_types(): return ["text/x-cfninitdata"]\n'),
  part('text/x-cfninitdata', 'cfn-userdata', SAHARA_SCRIPT),
  part('text/x-shellscript', 'loguserdata.py', '#!/usr/bin/env python3\nimport subprocess\n'),
  part('text/x-cfninitdata', 'cfn-metadata-server', 'http://heat:8000/v1/\n'),
]);

const script = (n: number): string => `${USER_DATA_DIR}/part-${String(n).padStart(3, '0')}`;

describe('planUserData', () => {
  it.each([
    { name: 'no user data', input: null, scripts: 0, files: [] as string[], notes: 0 },
    { name: 'empty user data', input: '', scripts: 0, files: [], notes: 0 },
    { name: 'a script (Heat RAW)', input: b64('#!/bin/sh\necho hi\n'), scripts: 1, files: [script(1)], notes: 0 },
    { name: 'a gzipped script', input: b64(gzipSync('#!/bin/sh\necho hi\n')), scripts: 1, files: [script(1)], notes: 0 },
    { name: 'cloud-config', input: b64('#cloud-config\npackages: [htop]\n'), scripts: 0, files: [], notes: 1 },
    { name: 'plain text', input: b64('hello world\n'), scripts: 0, files: [], notes: 1 },
    {
      name: "Heat's HEAT_CFNTOOLS multipart",
      input: b64(HEAT_CFNTOOLS),
      scripts: 1,
      files: [`${HEAT_CFNTOOLS_DIR}/cfn-userdata`, script(1), `${HEAT_CFNTOOLS_DIR}/cfn-metadata-server`],
      // cloud-config, boothook, part handler, loguserdata.py: Heat's helpers, logged as routine
      notes: 0,
    },
    {
      name: 'a multipart with two shell scripts and a text/plain script',
      input: b64(multipart([part('text/x-shellscript', 'a.sh', '#!/bin/sh\necho a\n'), part('text/x-shellscript', 'b.sh', '#!/bin/sh\necho b\n'), part('text/plain', 'c', '#!/bin/sh\necho c\n')])),
      scripts: 3,
      files: [script(1), script(2), script(3)],
      notes: 0,
    },
    {
      name: 'loguserdata.py without cfn-userdata runs (it is the only script)',
      input: b64(multipart([part('text/x-shellscript', 'loguserdata.py', '#!/usr/bin/env python3\n')])),
      scripts: 1,
      files: [script(1)],
      notes: 0,
    },
    {
      name: 'a cfn data file with a path for a name is not written',
      input: b64(multipart([part('text/x-cfninitdata', '../../etc/passwd', 'x\n'), part('text/x-cfninitdata', '.hidden', 'x\n')])),
      scripts: 0,
      files: [],
      notes: 2,
    },
    { name: 'a multipart without a boundary', input: b64('Content-Type: multipart/mixed\n\n--x\n\n#!/bin/sh\n--x--\n'), scripts: 0, files: [], notes: 1 },
    { name: 'gzip that does not inflate', input: b64(Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3])), scripts: 0, files: [], notes: 1 },
  ])('$name', ({ input, scripts, files, notes }) => {
    const plan = planUserData(input);
    expect(plan.scripts).toHaveLength(scripts);
    expect(plan.files.map((f) => f.path)).toEqual(files);
    expect(plan.notes).toHaveLength(notes);
    for (const s of plan.scripts) expect(plan.files.find((f) => f.path === s)?.mode).toBe(0o700);
  });

  it("runs Heat's cfn-userdata byte for byte and writes Heat's data files root-only", () => {
    const plan = planUserData(b64(HEAT_CFNTOOLS));
    const run = plan.files.find((f) => f.path === plan.scripts[0]);
    expect(run?.content.toString('utf8')).toBe(SAHARA_SCRIPT);
    const cfn = plan.files.find((f) => f.path === `${HEAT_CFNTOOLS_DIR}/cfn-userdata`);
    expect(cfn?.mode).toBe(0o600);
    expect(plan.routine).toHaveLength(4);
    expect(plan.routine.join('\n')).toMatch(/cloud-config.*not run/);
    expect(plan.routine.join('\n')).toMatch(/loguserdata\.py.*not run/);
  });

  it("a user's cloud-config beside a script is a warning, not routine", () => {
    const plan = planUserData(b64(multipart([part('text/cloud-config', 'cloud-config', '#cloud-config\npackages: [htop]\n'), part('text/x-shellscript', 'a.sh', '#!/bin/sh\n')])));
    expect(plan.scripts).toHaveLength(1);
    expect(plan.notes).toHaveLength(1);
    expect(plan.routine).toHaveLength(0);
  });

  it('decodes base64 and quoted-printable parts, and CRLF line ends', () => {
    const utf8 = '#!/bin/sh\necho "héllo wörld"\n';
    const qp = '#!/bin/sh\necho =\nsplit=3D1\n';
    const raw = multipart([part('text/x-shellscript', 'u.sh', utf8, 'base64'), part('text/x-shellscript', 'q.sh', qp).replace('7bit', 'quoted-printable')]).replace(/\n/g, '\r\n');
    const plan = planUserData(b64(raw));
    expect(plan.files.map((f) => f.content.toString('utf8').replace(/\r\n/g, '\n'))).toEqual([utf8, '#!/bin/sh\necho split=1\n']);
  });

  it('follows nested multiparts, up to a depth', () => {
    const inner = multipart([part('text/x-shellscript', 'in.sh', '#!/bin/sh\necho in\n')], 'inner');
    const outer = multipart([inner, part('text/x-shellscript', 'out.sh', '#!/bin/sh\necho out\n')], 'outer');
    expect(planUserData(b64(outer)).files.map((f) => f.content.toString())).toEqual(['#!/bin/sh\necho in\n', '#!/bin/sh\necho out\n']);
    let deep = part('text/x-shellscript', 'deep.sh', '#!/bin/sh\n');
    for (let i = 0; i < 6; i++) deep = multipart([deep], `b${i}`);
    const plan = planUserData(b64(deep));
    expect(plan.scripts).toHaveLength(0);
    expect(plan.notes.join()).toMatch(/nested deeper/);
  });

  it('does not inflate past its bound (a gzip bomb is a note, not memory)', () => {
    const bomb = gzipSync(Buffer.alloc(17 * 1024 * 1024, 0x41));
    const plan = planUserData(b64(bomb));
    expect(plan.scripts).toHaveLength(0);
    expect(plan.notes[0]).toMatch(/does not inflate/);
  });
});
