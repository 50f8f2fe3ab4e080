# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    # How a tag is verified: the trusted_digest lookup and the trust_pull module share these options.
    DOCUMENTATION = r'''
options:
  server:
    description:
      - URL of the notary server (C(https://host:port)).
      - Unset, C(DOCKER_CONTENT_TRUST_SERVER) from the environment, then C(remote_server.url) of I(notary_config).
    type: str
  ca_cert:
    description:
      - The CA the notary server's certificate is verified with (and, with I(registry_check), the registry's when
        C(/etc/docker/certs.d/<registry>/ca.crt) does not exist).
      - Unset, C(remote_server.root_ca) of I(notary_config); else the system's CAs.
    type: path
  pins:
    description:
      - Root key IDs per repository, as notary's C(trust_pinning.certs) takes them. A key is a repository
        (C(localhost:5000/team/app)) or a prefix ending in C(*) (C(localhost:5000/team/*)); the exact name wins,
        then the longest prefix. A value is the list of root key IDs (the C(root_key_ids) that
        M(dct.trust_stack.trust_info) returns).
      - A repository whose verified root is not among its pin's IDs is refused, on first contact and with a cached
        root alike (notary itself checks pins on first contact only).
      - Unset, C(trust_pinning.certs) of I(notary_config).
    type: dict
  disable_tofu:
    description:
      - Refuse every repository that no pin matches, instead of trusting its root on first use.
      - Unset, C(trust_pinning.disable_tofu) of I(notary_config), else C(false).
    type: bool
  notary_config:
    description:
      - A notary client config (what P(dct.trust_stack.trust_client#role) writes to C(~/.notary/config.json)) to take
        I(server), I(ca_cert), I(cache_dir) (its C(trust_dir)), I(pins) and I(disable_tofu) from when they are not given.
      - Unset, C(~/.notary/config.json) when it exists.
    type: path
  cache_dir:
    description:
      - The verifier's trust cache (notary's C(trust_dir)), the TUF metadata verified before. It is kept between runs as
        every TUF client does, so that a root rotation signed by the old root is followed, and a replaced root and
        metadata older than what was verified before (a rollback) are refused. A verification that fails leaves it as
        it was. Not the docker trust directory (C(<config_dir>/trust)) the signing modules use.
      - Unset, C(trust_dir) of I(notary_config), else a directory per notary server under C(~/.cache/dct.trust_stack/notary/).
      - The alias I(trust_dir) is deprecated and will be removed in 2.0.0.
    type: path
    aliases: [trust_dir]
  signer:
    description:
      - The signer (delegation) whose signature the tag must carry (role C(targets/<signer>)).
      - Unset, the tag is resolved as docker's content-trust pull did, C(targets/releases) first, then C(targets);
        a tag only some other delegation signed is refused.
    type: str
  username:
    description:
      - User for the notary server (the stack's front), passed to the notary CLI as C(NOTARY_AUTH) in its
        environment only.
      - Unset, I(registry_username), else the credentials C(docker login) stored in C($DOCKER_CONFIG/config.json)
        (C(~/.docker/config.json)) for the repository's registry; the front lets the same users reach both.
        With none, the server is asked anonymously, which the front refuses unless anonymous pulls are allowed.
    type: str
  password:
    description: Password of I(username).
    type: str
  registry_check:
    description:
      - Also ask the registry which digest the tag points at now, and refuse the tag when that is not the signed
        digest (someone pushed other content to the tag without signing it).
      - A content-trust pull never looks at the registry's tag (it pulls the signed digest), so this is off by
        default; turn it on to fail loudly instead of deploying the last signed content.
    type: bool
    default: false
  registry_username:
    description:
      - Registry user for I(registry_check). Unset, the credentials C(docker login) stored in
        C($DOCKER_CONFIG/config.json) (C(~/.docker/config.json)) for that registry.
    type: str
  registry_password:
    description: Password of I(registry_username).
    type: str
  notary_cli:
    description: The notary CLI (Debian package C(notary)), a name looked up in C(PATH) or a path.
    type: str
    default: notary
  timeout:
    description: Seconds after which one notary CLI call is stopped and the verification fails.
    type: int
    default: 120
notes:
  - Verification is notary's own TUF client (the notary CLI) with a generated client configuration that holds
    the pins; on top of it a verified root that is not the pinned one is refused, and trust data the CLI took from
    its cache because the server was unreachable is refused. So is what notary lets a server holding the timestamp
    and snapshot keys get past it (see "A compromised server" in docs/FAULTS.md), a role older than the cached one or a
    delegation the tag is read from that notary skipped because it does not verify or that the snapshot stopped
    listing. Every failure names the tag and the reason (unsigned, wrong signer, root mismatch, not pinned, expired,
    rollback, signature or key, threshold not met, delegation removed, unreachable, not trusted, not allowed).
requirements:
  - the notary CLI (Debian package C(notary)) 0.6 or later
'''
