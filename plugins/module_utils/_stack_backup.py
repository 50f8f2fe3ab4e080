# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stack_backup action's arguments and the one command it runs on the stack host."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import shlex

STACK_BACKUP_ARGS = dict(
    stack=dict(type='str', required=True),
    databases=dict(type='list', elements='str', required=True),
    passphrase=dict(type='str', required=True, no_log=True),
    backup_dir=dict(type='path', required=True),
    controller_dir=dict(type='path', required=True),
    keep=dict(type='int', default=7),
    manifest=dict(type='dict', default={}),
    signatures_dir=dict(type='path'),
)

# the parts the stack host makes, in the order it makes them (the signature mirror's lookaside last, when the stack
# has one); the controller adds controller.tar.enc
HOST_PARTS = ('databases.sql.enc', 'registry.tar.enc')
SIGNATURES_PART = 'signatures.tar.enc'


def host_parts(signatures_dir=None):
    """The parts the stack host makes: HOST_PARTS, and SIGNATURES_PART when the stack has a lookaside."""
    return HOST_PARTS + ((SIGNATURES_PART,) if signatures_dir else ())


# AES-256 in CTR mode: several times faster than CBC with AES-NI, so encrypting costs about what writing does; the
# key and IV come from the passphrase and a random salt per file (PBKDF2). The manifest names it; sets made before
# 0.9.0 are CBC and name none (the stack_backup role's restore reads both).
CIPHER = 'aes-256-ctr'


def encrypt_command(passphrase_source):
    """openssl's command that encrypts stdin to stdout (or to -out) with CIPHER, the passphrase read from
    passphrase_source (openssl's -pass: file:<path> or env:<variable>, never the passphrase itself)."""
    return 'openssl enc -%s -pbkdf2 -salt -pass %s' % (CIPHER, passphrase_source)


ENCRYPT = encrypt_command('file:"$work/passphrase"')
# where the registry container keeps its storage (roles/registry)
REGISTRY_STORAGE = '/var/lib/docker-registry'


def host_script(work, stack, databases, signatures_dir=None):
    """bash that dumps the databases, then archives the registry's storage (and the mirror's signatures in
    signatures_dir, when given), into work (the task's private temporary directory, which holds the passphrase
    file), each part encrypted and checksummed in one pass; prints "<part> <sha256> <size>" per part. The parts get
    work's owner, so the connection user can fetch them when the task becomes another user."""
    registry = shlex.quote(stack + '_registry')
    signatures = [
        # the lookaside as the mirror left it (an empty archive when it has none yet)
        'if [ -d %s ]; then tar -C %s --numeric-owner -cf - .; else tar -cf - -T /dev/null; fi | %s | part %s'
        % (shlex.quote(signatures_dir), shlex.quote(signatures_dir), ENCRYPT, SIGNATURES_PART)] if signatures_dir else []
    return '\n'.join([
        'set -e -o pipefail',
        'umask 077',
        'work=%s' % shlex.quote(work),
        "trap 'rm -f \"$work/passphrase\"' EXIT",
        # openssl's SHA-256 (SHA-NI where the CPU has it) is several times faster than coreutils' sha256sum
        'part() { tee "$work/$1" | openssl dgst -sha256 -r | { read -r sum rest; echo "$1 $sum $(stat -c %s "$work/$1")"; }; }',
        'docker exec %s mariadb-dump --single-transaction --skip-lock-tables --databases %s | %s | part %s' % (
            shlex.quote(stack + '_mariadb'), ' '.join(shlex.quote(d) for d in databases), ENCRYPT, HOST_PARTS[0]),
        # after the dump: a push never removes a blob, so every digest the dumped trust data names is here. Read
        # from the host directory that holds the registry's storage (its volume or bind mount) where this host
        # can: streaming it out of the container through the engine's API takes about twice as long
        "storage=$(docker inspect -f '{{range .Mounts}}{{if eq .Destination \"%s\"}}{{.Source}}{{end}}{{end}}' %s)"
        % (REGISTRY_STORAGE, registry),
        'if [ -n "$storage" ] && [ -d "$storage" ] && [ -r "$storage" ]; then',
        "  tar -C \"$storage\" --exclude='*/_uploads' --numeric-owner -cf - .",
        'else',
        "  docker exec %s tar -C %s --exclude='*/_uploads' -cf - ." % (registry, REGISTRY_STORAGE),
        'fi | %s | part %s' % (ENCRYPT, HOST_PARTS[1]),
    ] + signatures + [
        'chown --reference="$work" %s' % ' '.join('"$work/%s"' % p for p in host_parts(signatures_dir)),
    ])


def parse_sums(out):
    """{part: (sha256, size)} from host_script's output."""
    sums = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[0] in HOST_PARTS + (SIGNATURES_PART,):
            sums[fields[0]] = (fields[1], int(fields[2]))
    return sums
