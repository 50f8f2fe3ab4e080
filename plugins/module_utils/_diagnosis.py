# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a failed CLI call or request means. Every match on the text the docker and notary CLIs, notary-server and
the front print is here, and only here: the rest of the collection decides on what these functions return, never
on message text. tests/unit/test_failure_messages.py holds the real CLI output each rule was written against."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

# a log line of the docker and notary CLIs: time="..." level=... msg="..."
LOG_LINE_RE = re.compile(r'^time="[^"]*" level=\w+ msg="(?P<msg>.*)"$')
# the CLIs' own warnings (metadata fetch retries), which drown the error
CLI_NOISE_RE = re.compile(r'time="[^"]*" level=(warning|info|debug) ')
# what notary's TUF client says of expired metadata (not of an expired TLS certificate)
METADATA_EXPIRED_RE = re.compile(r'metadata for \S+ expired|\S+ expired at ', re.I)
# the registry failed on its side (docker push)
REGISTRY_FAILURE_RE = re.compile(r'received unexpected HTTP status: (5\d\d[^\n]*)')
# what the docker CLI prints when the notary server failed on its side. 'rejected operation' is the CLI's word for a
# 400, which notary-server 0.7 also answers when it cannot read its database while it checks an update
# (server/handlers/validation.go returns the storage error, and atomicUpdateHandler turns every validation error
# into 400 INVALID_UPDATE)
SERVER_FAILURE_SIGNS = ('unable to reach trust server', 'could not update: EOF', 'rpc error', 'trust server rejected operation')
# what the docker and notary CLIs print when the front refuses a request (401: who are you, 403: not allowed):
# "denied: not allowed for user ...", "unable to reach trust server at this time: 403.", "server returned 401.",
# "no basic auth credentials"; a status code only where no hex digit touches it (not inside a digest)
REFUSAL_RE = re.compile(r'(?<![0-9a-f])40[13](?![0-9a-f])|unauthorized|denied|not authorized|not allowed for user|'
                        r'no basic auth credentials', re.IGNORECASE)
# What the notary CLI says when the server refused a publish because another client published first:
# notary-server answers 400 (the CLI: "trust server rejected operation"; the server's own words "old version")
# when the version it would store is taken (MySQL duplicate key), and a 500 when the database aborted the
# transaction (a deadlock between two updates, or the database node it wrote to went away). A front answers 502-504
# when the notary-server behind it is gone (a replica lost on a stack spread over several hosts). All of them leave
# the staged changes in place for another publish.
CONFLICT_RE = re.compile(r'rejected operation|old version|version conflict|deadlock|'
                         r'unable to reach trust server at this time: 50[0234]|server encountered an unexpected error',
                         re.IGNORECASE)
# notary's TUF client skipping a delegation that does not verify (client/tufclient.go downloadTargets): it then takes
# the tag from another role. 'time="..." level=warning msg="Error getting targets/releases: valid signatures did not
# meet threshold for targets/releases"'
SKIPPED_DELEGATION_RE = re.compile(r'msg="Error getting (?P<role>targets/[^:"]+): (?P<why>[^"]*)"')
# the engine refusing content that is not the digest it pulled by: docker "manifest verification failed for digest
# sha256:..." or "manifest digest ... does not match", podman/skopeo "Manifest does not match provided manifest digest"
DIGEST_MISMATCH_RE = re.compile(r'manifest verification failed|does not match provided manifest digest|digest did not match',
                                re.IGNORECASE)
UNREACHABLE_SIGNS = ('connection refused', 'no such host', 'timeout', 'unreachable', 'could not reach', 'offline')
UNTRUSTED_SIGNS = ('certificate', 'x509', 'tls')


def is_refusal(message):
    """Whether the front refused the request (401 or 403)."""
    return bool(REFUSAL_RE.search(message or ''))


def refusal(credentials, repository, detail):
    """The message for a request the front refused: who asked, for which repository."""
    who = 'user %s' % credentials[0] if credentials else 'anonymous (no docker login for its registry)'
    return 'not allowed for %s on repository %s: %s' % (who, repository, detail)


def is_bad_passphrase(message):
    """Whether a signing CLI failed because the key's passphrase did not open it (skopeo standalone-sign: "Error
    creating signature: Bad passphrase", from gpgme)."""
    return 'bad passphrase' in (message or '').lower()


def is_docker_cli(version_output):
    """Whether `<cli> --version` printed docker's own CLI ("Docker version ..."), not podman's (podman-docker's
    `docker` is a script that runs podman, and says "podman version ...")."""
    return (version_output or '').lower().startswith('docker version')


def engine_not_running(message):
    """Whether a docker CLI call failed because no engine answers on its socket."""
    return 'cannot connect to the docker daemon' in (message or '').lower()


def is_publish_conflict(message):
    """Whether a refused publish can be tried again on the newest metadata (see CONFLICT_RE)."""
    return bool(CONFLICT_RE.search(message or ''))


def is_certificate_error(text):
    """Whether a TLS failure is about the server's certificate (not trusted), not the connection."""
    return 'CERTIFICATE' in (text or '').upper()


def fell_back_to_cache(stderr):
    """Whether a notary client answered from its cache because it could not reach the server."""
    return 'using cached' in stderr or 'could not reach' in stderr or 'offline' in stderr


def last_line(message, prefer=None):
    """The notary CLI's own error line ('* fatal: ...'), else the first log line containing prefer, else the last
    line of message; log lines (time=... level=... msg="...") reduced to their message."""
    lines = [line.strip() for line in (message or '').splitlines() if line.strip()]
    lines = [LOG_LINE_RE.match(line).group('msg').replace('\\"', '"') if LOG_LINE_RE.match(line) else line for line in lines]
    for line in lines:
        if line.startswith('* fatal:'):
            return line[len('* fatal:'):].strip()
    for line in lines:
        if prefer and prefer in line:
            return line
    return lines[-1] if lines else ''


def expired_lines(message):
    """The distinct messages of the lines of message that say metadata expired (empty: none does)."""
    lines = (LOG_LINE_RE.sub(r'\g<msg>', line.strip()) for line in (message or '').splitlines()
             if METADATA_EXPIRED_RE.search(line))
    return sorted(set(line[len('* fatal:'):].strip() if line.startswith('* fatal:') else line for line in lines))


def inspect_failure(rc, message):
    """What a `notary list` (or `docker trust inspect`) that printed message and exited rc means: 'expired',
    'no_trust_data' (which the docker CLI also says when it cannot reach or trust the server, or may not read: ask
    the server), 'refused', 'untrusted', 'unreachable', or None (unknown)."""
    lowered = message.lower()
    if rc != 0 and METADATA_EXPIRED_RE.search(message):
        return 'expired'
    if rc == 0 or 'does not have trust data' in lowered or 'no signatures' in lowered or 'not signed' in lowered:
        return 'no_trust_data'
    if is_refusal(message):
        return 'refused'
    if any(sign in lowered for sign in UNTRUSTED_SIGNS):
        return 'untrusted'
    if any(sign in lowered for sign in UNREACHABLE_SIGNS):
        return 'unreachable'
    return None


def notary_list_failure(gun, message, server, ca_cert, cache, pin, credentials=None):
    """The reason a `notary list` of gun failed, in words a deployer can act on: each starts with the class of the
    failure (root mismatch, not pinned, expired, unsigned, not trusted, unreachable, not allowed). pin: the
    (pattern, key IDs) that applies to gun, or None; cache: the client's cache directory of gun."""
    text = last_line(message)
    lowered = message.lower()
    if 'unable to match any certificates to trust_pinning' in lowered:
        return ('%s: root mismatch: the server\'s root key is not the pinned one (pin "%s": %s) [%s]'
                % (gun, pin[0], ', '.join(i[:12] for i in pin[1]), text)) if pin else '%s: root mismatch [%s]' % (gun, text)
    if 'could not rotate trust to a new trusted root' in lowered:
        return ('%s: root mismatch: the server\'s root is not signed by the root this client trusts (cached in %s): '
                'the trust data was replaced on the server. If that was meant (a reset), remove that directory and '
                'pin the new root [%s]' % (gun, cache, text))
    if 'failed to validate integrity of roots' in lowered:
        return ('%s: root mismatch: the server\'s root is not signed by the keys it names, or not by the pinned one '
                '(pin "%s") [%s]' % (gun, pin[0] if pin else 'none', text))
    if 'invalid trust pinning specified' in lowered:
        return '%s: not pinned: no pin matches it and disable_tofu is set [%s]' % (gun, text)
    if 'expired at' in lowered:
        return '%s: expired trust data: %s' % (gun, text)
    if 'is lower than current version' in lowered:
        return ('%s: rollback (or freeze): the server\'s metadata is older than what this client verified before '
                '(cache %s) [%s]' % (gun, cache, text))
    if 'data has no signatures' in lowered:
        return '%s: threshold not met: the server\'s metadata carries no signature [%s]' % (gun, text)
    if 'valid signatures did not meet threshold' in lowered:
        return ('%s: signature or key: the server\'s metadata is not signed by the keys its parent role lists, or by '
                'too few of them (threshold not met) [%s]' % (gun, text))
    if 'does not have trust data' in lowered:
        return '%s: unsigned: the notary server %s has no trust data for it' % (gun, server)
    if any(sign in lowered for sign in UNTRUSTED_SIGNS):
        return '%s: the notary server %s is not trusted with the CA %s: %s' % (gun, server, ca_cert or '(system CAs)', text)
    if any(sign in lowered for sign in ('offline', 'could not reach', 'connection refused', 'no such host')):
        return '%s: the notary server %s is unreachable: %s' % (gun, server, text)
    if is_refusal(message):
        return '%s: %s' % (gun, refusal(credentials, gun, 'the notary server %s refused the read: %s' % (server, text)))
    return '%s: notary list failed: %s' % (gun, text)


def pull_failure(reference, message):
    """What a failed pull by digest (reference: repository@sha256:...) means: digest mismatch, else message."""
    if DIGEST_MISMATCH_RE.search(message or ''):
        return ('digest mismatch: the registry serves other content than %s, the signed digest; nothing was pulled '
                '[%s]' % (reference, last_line(message)))
    return message


def skipped_delegations(stderr):
    """[(role, why)] of each delegation notary's TUF client skipped because it did not verify."""
    return [(m.group('role'), m.group('why').replace('\\"', '"')) for m in SKIPPED_DELEGATION_RE.finditer(stderr or '')]


def delegation_failure(gun, role, why):
    """The reason a delegation the tag is read from was skipped by notary: expired, or its signatures."""
    if METADATA_EXPIRED_RE.search(why):
        return '%s: expired trust data: the delegation %s expired (%s)' % (gun, role, why)
    return ('%s: signature or key: the delegation %s is not signed by the keys its parent lists for it, or by too few of '
            'them (%s); notary would skip it and take the tag from another role' % (gun, role, why))


def explain_passphrase_failure(message):
    """Prefix a notary CLI failure that points at a passphrase with "wrong or missing passphrase?"."""
    lowered = message.lower()
    if 'passphrase' in lowered or 'decrypt' in lowered or 'could not find necessary signing keys' in lowered \
            or 'password' in lowered:
        return 'wrong or missing passphrase? %s' % message
    return message


def explain_sign_failure(message, role, server=None, repository=None):
    """Say what a failed sign, push or publish most likely means. The CLIs say 'could not find necessary signing
    keys' when a passphrase is wrong, and 'unexpected HTTP status: 500' when the registry could not store the image;
    a refusal by the front names the user and repository; for other server-side failures server (a ServerClient)
    adds what the notary server's health check says now."""
    message = '\n'.join(line for line in message.splitlines() if not CLI_NOISE_RE.match(line))
    if server is not None and repository and is_refusal(message):
        return refusal(server.credentials(repository), repository, message)
    if 'could not find necessary signing keys' in message:
        return ('wrong repository_passphrase or signer_passphrase? The private key of %s is in the trust directory but the CLI could not '
                'use it: %s' % ('signer "%s"' % role if role else 'the signing role', message))
    registry = REGISTRY_FAILURE_RE.search(message)
    if registry:
        return ('the registry failed to store the pushed image (HTTP %s): its storage may be full or read-only, '
                'see the registry\'s log. %s' % (registry.group(1).strip(), message))
    if server is not None and any(sign in message for sign in SERVER_FAILURE_SIGNS):
        return '%s [%s]' % (message, server.health_report())
    return message
