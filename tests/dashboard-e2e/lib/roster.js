// The demo district's OneRoster export (crates/homevisit-fixtures/demo-district), read the way the
// relay's roster import reads it, so the test knows every school's, educator's and family's id,
// name and students without asking the dashboard.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { parseCsvObjects } from './csv.js';

/** homevisit_roster::ids::NAMESPACE. */
const NAMESPACE = '8d3a61f2-7c4e-4b9a-a1d5-3e6f0b2c9417';

/** A UUID v5 (SHA-1) of `name` in `namespace`. */
export function uuidV5(namespace, name) {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(Buffer.from(name, 'utf8')).digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** homevisit_roster::ids::stable for the OneRoster format: each part length-prefixed. */
function stableId(kind, parts) {
  return uuidV5(NAMESPACE, `oneroster:${kind}` + parts.map((p) => `:${p.length}:${p}`).join(''));
}

const STUDENT = new Set(['student']);
const GUARDIAN = new Set(['parent', 'guardian', 'relative']);
const list = (cell) => (cell ? cell.split(',').map((s) => s.trim()).filter(Boolean) : []);

/**
 * The district in `dir`: `schools` in orgs.csv order, each with its `educators` (one per staff
 * member listed at it), its `students` and its `families` (students who share a guardian; keyed
 * by the first guardian's sourcedId; named after that guardian's family name).
 */
export function readDistrict(dir) {
  const read = (file) => parseCsvObjects(readFileSync(path.join(dir, file), 'utf8')).records;
  const orgs = read('orgs.csv').filter((o) => o.type === 'school' && o.status !== 'tobedeleted');
  const users = read('users.csv').filter((u) => u.status !== 'tobedeleted');
  const byId = new Map(users.map((u) => [u.sourcedId, u]));

  // Who each student's guardians are; either side may name the other.
  const guardiansOf = new Map();
  const link = (student, guardian) => {
    if (!guardiansOf.has(student)) guardiansOf.set(student, new Set());
    guardiansOf.get(student).add(guardian);
  };
  for (const u of users) {
    for (const agent of list(u.agentSourcedIds)) {
      const other = byId.get(agent);
      if (!other) continue;
      if (STUDENT.has(u.role) && GUARDIAN.has(other.role)) link(u.sourcedId, agent);
      if (GUARDIAN.has(u.role) && STUDENT.has(other.role)) link(agent, u.sourcedId);
    }
  }

  return orgs.map((org) => {
    const at = (u) => list(u.orgSourcedIds).includes(org.sourcedId);
    const educators = users
      .filter((u) => at(u) && !STUDENT.has(u.role) && !GUARDIAN.has(u.role))
      .map((u) => ({
        sourcedId: u.sourcedId,
        id: stableId('educator', [u.sourcedId, org.sourcedId]),
        name: `${u.givenName} ${u.familyName}`.trim(),
        familyName: u.familyName,
        trainingDate: u['metadata.homevisit.trainingDate'] || null,
      }));
    const students = users.filter((u) => at(u) && STUDENT.has(u.role)).map((u) => u.sourcedId);

    // Families: students joined through shared guardians (union-find).
    const parent = new Map(students.map((s) => [s, s]));
    const find = (s) => (parent.get(s) === s ? s : find(parent.get(s)));
    const firstStudentOf = new Map();
    for (const s of students) {
      for (const g of guardiansOf.get(s) ?? []) {
        if (firstStudentOf.has(g)) parent.set(find(s), find(firstStudentOf.get(g)));
        else firstStudentOf.set(g, s);
      }
    }
    const groups = new Map();
    for (const s of students) {
      const root = find(s);
      if (!groups.has(root)) groups.set(root, []);
      groups.get(root).push(s);
    }
    const families = [...groups.values()].map((members) => {
      const guardians = [...new Set(members.flatMap((m) => [...(guardiansOf.get(m) ?? [])]))].sort();
      const key = guardians[0] ?? [...members].sort()[0];
      const surname = guardians.map((g) => byId.get(g).familyName).find(Boolean);
      return {
        key,
        id: stableId('family', [key, org.sourcedId]),
        name: surname ? `${surname} family` : `${byId.get(members[0]).givenName} family`,
        surname: surname ?? byId.get(members[0]).familyName,
        students: members,
        guardianNames: guardians.map((g) => `${byId.get(g).givenName} ${byId.get(g).familyName}`),
      };
    });

    return {
      sourcedId: org.sourcedId,
      id: stableId('school', [org.sourcedId]),
      name: org.name,
      educators,
      students,
      families,
    };
  });
}
