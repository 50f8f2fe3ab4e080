# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Trust enforcement: which digest a tag is signed with, verified by the notary CLI (notary's own TUF
client) with pinned root keys, failing closed with a reason.

Used by the trusted_digest lookup (controller) and the trust_pull module (managed host); both hand in a
runner, a callable (argv, environment) -> (rc, stdout, stderr) that runs with no standard input."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import shutil
import tempfile
from urllib.parse import urlparse

from ansible_collections.dct.trust_stack.plugins.module_utils import _registry
from ansible_collections.dct.trust_stack.plugins.module_utils._cli import TIMED_OUT, timed
from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError
from ansible_collections.dct.trust_stack.plugins.module_utils._diagnosis import (
    delegation_failure, fell_back_to_cache, inspect_failure, last_line, notary_list_failure, skipped_delegations)
from ansible_collections.dct.trust_stack.plugins.module_utils._parsers import HEX64_RE, RELEASES, TARGETS, metadata_dir, parse_list
from ansible_collections.dct.trust_stack.plugins.module_utils._references import check_signer_name, split_reference
from ansible_collections.dct.trust_stack.plugins.module_utils._tuf_cache import CacheGuard

# a pin's key: a repository (GUN) or a prefix ending in '*', as notary's trust_pinning.certs takes it
PIN_PATTERN_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9.:_/-]*\*?$|^\*$')

# the verifier's cache when neither cache_dir nor the notary client config names one: a directory per server below it
DEFAULT_CACHE_DIR = os.path.join('~', '.cache', 'dct.trust_stack', 'notary')


def make_dirs(path):
    """mkdir -p path (mode 0700), also when another verification makes it at the same time."""
    try:
        os.makedirs(path, 0o700)
    except OSError:
        if not os.path.isdir(path):
            raise


def check_pins(pins):
    """Raise TrustError naming the first malformed entry of pins ({repository or prefix*: [root key IDs]})."""
    if not isinstance(pins, dict):
        raise TrustError('pins must be a mapping of repository (or prefix*) to a list of root key IDs, not %r' % (pins,))
    for pattern, ids in pins.items():
        if not isinstance(pattern, str) or not PIN_PATTERN_RE.match(pattern) or '*' in pattern[:-1]:
            raise TrustError('pins: "%s" is not a repository name or a prefix ending in "*"' % (pattern,))
        if pattern != pattern.lower():
            raise TrustError('pins: "%s" must be lower case (notary reads its config keys lower-cased)' % pattern)
        if isinstance(ids, str) or not isinstance(ids, list) or not ids:
            raise TrustError('pins: "%s" must map to a non-empty list of root key IDs, not %r' % (pattern, ids))
        bad = [i for i in ids if not isinstance(i, str) or not HEX64_RE.match(i)]
        if bad:
            raise TrustError('pins: "%s" holds %s, not a root key ID (64 lower-case hex digits)' % (pattern, bad[0]))


def pin_for(gun, pins):
    """(pattern, key IDs) of the pin notary applies to gun: the exact name, else the longest prefix*; or None."""
    if gun in pins:
        return gun, pins[gun]
    best = None
    for pattern, ids in pins.items():
        if pattern.endswith('*') and gun.startswith(pattern[:-1]) and (best is None or len(pattern) > len(best[0])):
            best = (pattern, ids)
    return best


def read_notary_config(path):
    """What a notary client config (as trust_client writes ~/.notary/config.json) says: server, CA, trust
    directory (the cache_dir), pins and disable_tofu; {} when path is None."""
    if not path:
        return {}
    try:
        with open(path) as handle:
            config = json.load(handle)
    except (IOError, OSError, ValueError) as exc:
        raise TrustError('cannot read the notary client config %s: %s' % (path, exc))
    base = os.path.dirname(os.path.abspath(path))
    remote = config.get('remote_server') or {}
    pinning = config.get('trust_pinning') or {}

    def relative(value):
        return os.path.join(base, os.path.expanduser(value)) if value else None
    return dict(server=remote.get('url'), ca_cert=relative(remote.get('root_ca')), cache_dir=relative(config.get('trust_dir')),
                pins=pinning.get('certs'), disable_tofu=pinning.get('disable_tofu'))


def settle(params):
    """The verification settings: the options (server from DOCKER_CONTENT_TRUST_SERVER when unset, _options.py)
    first, then the notary client config, then defaults."""
    config_path = params.get('notary_config')
    if not config_path and os.path.exists(os.path.expanduser('~/.notary/config.json')):
        config_path = os.path.expanduser('~/.notary/config.json')
    config = read_notary_config(config_path)

    def pick(name):
        return params.get(name) if params.get(name) is not None else config.get(name)
    settings = dict(
        server=pick('server'),
        ca_cert=pick('ca_cert'),
        cache_dir=pick('cache_dir') or None,
        pins=pick('pins') or {},
        disable_tofu=bool(pick('disable_tofu')),
    )
    if not settings['server']:
        raise TrustError('no notary server: set server (or DOCKER_CONTENT_TRUST_SERVER, or remote_server.url in %s)'
                         % (config_path or '~/.notary/config.json'))
    parsed = urlparse(settings['server'])
    if parsed.scheme != 'https' or not parsed.hostname:
        raise TrustError('server "%s" is not an https:// URL' % settings['server'])
    if settings['ca_cert'] and not os.path.isfile(settings['ca_cert']):
        raise TrustError('ca_cert %s does not exist' % settings['ca_cert'])
    check_pins(settings['pins'])
    if not settings['cache_dir']:
        settings['cache_dir'] = os.path.join(os.path.expanduser(DEFAULT_CACHE_DIR),
                                             parsed.netloc if parsed.port else parsed.hostname + ':443')
    return settings


def cached_root_roles(trust_dir, gun):
    """The roles of the root.json that a notary client (the notary or the docker CLI) verified and cached for gun in
    trust_dir; TrustError naming the file when it cannot be read."""
    path = os.path.join(metadata_dir(trust_dir, gun), 'root.json')
    try:
        with open(path) as handle:
            return json.load(handle)['signed']['roles']
    except (IOError, OSError, ValueError, KeyError) as exc:
        raise TrustError('%s: cannot read the verified root.json %s: %s' % (gun, path, exc))


def accepted_roles(signer=None):
    """The roles a tag counts as signed in: the signer's, when one is named; else targets/releases, then targets, as
    docker's content-trust pull read them."""
    return ['targets/' + signer] if signer else [RELEASES, TARGETS]


class NotaryVerifier(object):
    """Asks the notary CLI which digests a repository's tags are signed with, under a generated client config
    that holds the server, the CA and the pins, and checks the verified root against the pins itself:
    notary applies pins on first contact only and answers from its cache when the server is unreachable."""

    def __init__(self, runner, settings, notary_cli='notary', credentials=None, timeout=120):
        self.runner = runner
        self.settings = settings
        self.notary_cli = notary_cli
        self.timeout = timeout
        # gun -> (user, password) or None: who the notary server (its front) is asked as
        self.credentials = credentials or (lambda gun: None)
        self._config_dir = None

    # ------------------------------------------------------------ the notary CLI under a generated config

    def _config(self):
        if self._config_dir is None:
            self._config_dir = tempfile.mkdtemp(prefix='dct-verify-')
            config = {
                'trust_dir': self.settings['cache_dir'],
                'remote_server': dict({'url': self.settings['server']},
                                      **({'root_ca': self.settings['ca_cert']} if self.settings['ca_cert'] else {})),
                'trust_pinning': {'certs': self.settings['pins'], 'disable_tofu': self.settings['disable_tofu']},
            }
            fd = os.open(os.path.join(self._config_dir, 'config.json'), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, 'w') as handle:
                json.dump(config, handle)
        return os.path.join(self._config_dir, 'config.json')

    def close(self):
        if self._config_dir:
            shutil.rmtree(self._config_dir, ignore_errors=True)
            self._config_dir = None

    def list(self, gun, roles):
        """{tag: (hex digest, size, role)} of gun in roles (by precedence), verified; TrustError saying why not. A
        verification that fails leaves the cache of gun as it was (see _tuf_cache)."""
        make_dirs(self.settings['cache_dir'])
        guard = CacheGuard(self.settings['cache_dir'], gun)
        try:
            out, err = self._notary_list(gun, roles)
            # a delegation a tag is read from (or an ancestor of one) that did not verify: notary skipped it
            for role, why in skipped_delegations(err):
                if any(wanted == role or wanted.startswith(role + '/') for wanted in roles):
                    raise TrustError(delegation_failure(gun, role, why))
            guard.check()
            self.check_root(gun)
        except TrustError:
            guard.restore()
            raise
        return parse_list(out)

    def _notary_list(self, gun, roles):
        """(stdout, stderr) of a `notary list` of gun that succeeded and did not answer from its cache alone."""
        argv = timed([self.notary_cli, '-c', self._config(), 'list', gun, '--roles', ','.join(roles)], self.timeout)
        credentials = self.credentials(gun)
        # the notary CLI reads credentials from NOTARY_AUTH (user:password, base64), in its environment only
        env = {'NOTARY_AUTH': _registry.basic_credentials(credentials)} if credentials else {}
        rc, out, err = self.runner(argv, env)
        if rc == TIMED_OUT:
            raise TrustError('%s: the notary server %s did not answer within %s s (unreachable)'
                             % (gun, self.settings['server'], self.timeout))
        if rc == 127 or (rc != 0 and 'No such file' in err and self.notary_cli in err):
            raise TrustError('the notary CLI "%s" is not installed (Debian package notary; option notary_cli)' % self.notary_cli)
        if rc != 0:
            # notary prints its '* fatal:' line on standard output, its log lines on standard error
            text = '%s\n%s' % (out, err)
            raise TrustError(notary_list_failure(
                gun, text, self.settings['server'], self.settings['ca_cert'],
                os.path.join(self.settings['cache_dir'], 'tuf', gun), pin_for(gun, self.settings['pins']), credentials),
                # the server has no trust data for gun: nothing of it is signed (the status its answer had)
                status=404 if inspect_failure(rc, text) == 'no_trust_data' else None)
        if fell_back_to_cache(err):
            raise TrustError('%s: the notary server %s is unreachable, and trust data from the cache in %s is not '
                             'accepted (%s)' % (gun, self.settings['server'], self.settings['cache_dir'],
                                                last_line(err, prefer='could not reach')))
        return out, err

    def check_root(self, gun):
        """Fail unless the root notary just verified (fresh or cached) is pinned, when a pin applies, and unless
        some pin applies, with disable_tofu."""
        root_ids = sorted(cached_root_roles(self.settings['cache_dir'], gun)['root']['keyids'])
        cache = metadata_dir(self.settings['cache_dir'], gun)
        pin = pin_for(gun, self.settings['pins'])
        if pin is None:
            if self.settings['disable_tofu']:
                raise TrustError('%s: not pinned: no pin matches it and disable_tofu is set (cached root %s)'
                                 % (gun, ', '.join(i[:12] for i in root_ids)))
            return
        if not set(root_ids) & set(pin[1]):
            raise TrustError('%s: root mismatch: the root this client trusts (%s, cached in %s) is not the pinned one '
                             '(pin "%s": %s); after a root rotation add the new root key ID to the pin'
                             % (gun, ', '.join(i[:12] for i in root_ids), cache, pin[0],
                                ', '.join(i[:12] for i in pin[1])))

    # ------------------------------------------------------------ resolution

    def signed(self, gun, signer=None):
        """{tag: 'sha256:<hex>'} of every tag of gun signed the way resolve() accepts it (targets/releases or targets,
        or signer's role when named), verified; TrustError saying why not."""
        roles = accepted_roles(signer)
        return dict((tag, 'sha256:' + entry[0]) for tag, entry in self.list(gun, roles).items()
                    if signer or entry[2] in (RELEASES, TARGETS))

    def resolve(self, gun, tags, signer=None):
        """{tag: {'digest': 'sha256:<hex>', 'size': n, 'role': role}}, the way docker's content-trust pull did
        (targets/releases, then targets) or only the signer's role when signer is named; TrustError naming the
        first tag that is not signed that way."""
        roles = accepted_roles(signer)
        found = self.list(gun, roles)
        fallback = None
        resolved = {}
        for tag in tags:
            entry = found.get(tag)
            if entry and (signer or entry[2] in (RELEASES, TARGETS)):
                resolved[tag] = dict(digest='sha256:' + entry[0], size=entry[1], role=entry[2])
                continue
            if signer:
                if fallback is None:
                    fallback = self.list(gun, [RELEASES, TARGETS])
                other = fallback.get(tag)
                if other:
                    raise TrustError('%s:%s: wrong signer: it is signed in %s, not by signer "%s"' % (gun, tag, other[2], signer))
            elif entry:
                raise TrustError('%s:%s: unsigned for a content-trust pull: only %s signed it (not targets/releases '
                                 'or targets); name that signer to accept it' % (gun, tag, entry[2]))
            raise TrustError('%s:%s: unsigned: no signature for the tag in %s'
                             % (gun, tag, ' or '.join(roles)))
        return resolved


def verify_tags(runner, params, refs):
    """Resolve refs (repository:tag each) with the options of VERIFY_ARGS (_options.py): {ref: {'repository', 'tag', 'digest',
    'size', 'role'}}, one notary list per repository; TrustError naming the first tag that fails."""
    settings = settle(params)
    if params.get('signer'):
        check_signer_name(params['signer'])
    by_repository = {}
    for ref in refs:
        repository, tag = split_reference(ref)
        if not tag:
            raise TrustError('"%s" names no tag: a tag is what gets verified' % ref)
        by_repository.setdefault(repository, []).append(tag)
    verifier = NotaryVerifier(runner, settings, notary_cli=params.get('notary_cli') or 'notary',
                              credentials=lambda gun: credentials_for(params, gun), timeout=params.get('timeout') or 120)
    result = {}
    try:
        for repository, tags in by_repository.items():
            for tag, entry in verifier.resolve(repository, tags, params.get('signer')).items():
                result['%s:%s' % (repository, tag)] = dict(entry, repository=repository, tag=tag)
    finally:
        verifier.close()
    if params.get('registry_check'):
        check_registry(params, settings, result)
    return result


def credentials_for(params, repository, prefix=''):
    """(user, password) to ask about repository with: <prefix>username/<prefix>password when given, else what
    `docker login` stored for its registry; None: anonymous. The front lets one set of users reach both the
    registry and the notary server, so the notary side falls back to the registry's credentials."""
    for option in [prefix] if prefix else ['', 'registry_']:
        if params.get(option + 'username'):
            return params[option + 'username'], params.get(option + 'password') or ''
    return _registry.docker_config_auth(repository.partition('/')[0])


def check_registry(params, settings, resolved):
    """Fail when a tag in the registry points at other content than its signed digest."""
    for ref, entry in sorted(resolved.items()):
        host = entry['repository'].partition('/')[0]
        credentials = credentials_for(params, entry['repository'], 'registry_')
        current = _registry.manifest_digest(entry['repository'], entry['tag'], _registry.registry_ca(host, settings['ca_cert']),
                                            credentials, timeout=params.get('timeout') or 120)
        if current is None:
            raise TrustError('%s: the registry has no such tag (signed %s)' % (ref, entry['digest']))
        if current != entry['digest']:
            raise TrustError('%s: unsigned content: the registry\'s tag points at %s, but the signed digest is %s '
                             '(pushed without signing?)' % (ref, current, entry['digest']))
