# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
name: pki_plan
short_description: Tell which CA and leaf certificate files on the controller need (re)making
version_added: 0.4.0
description:
  - Reads the PKI directory the M(community.crypto.openssl_privatekey) and M(community.crypto.x509_certificate)
    tasks of the C(dct.trust_stack.pki) role write, and returns, for the directory, the CA and each leaf,
    the reasons it must be (re)made. An empty list means it is as wanted, and the role skips its tasks.
  - A key is as wanted when it exists with mode 0600, is not encrypted and has the wanted type and curve or size.
    A certificate is as wanted when it exists with mode 0644, carries the key's public key, the wanted subject,
    names and usages, is issued by the CA (signature verified) and, for a leaf, has more than I(renew_days) days left.
  - Runs on the controller, where the role keeps its PKI; it makes no module run, which is what makes an
    idempotent re-run of the role cheap.
author:
  - dct.trust_stack developers (@dct-trust-stack)
options:
  dir:
    description: The PKI directory (mode 0700).
    type: path
    required: true
  ca_cert:
    description: Path of the CA certificate.
    type: path
    required: true
  ca_key:
    description: Path of the CA private key; checked only when I(own_ca=false).
    type: path
    required: true
  own_ca:
    description: The CA is the user's own; it is never made, only its certificate read to check the leaves' issuer.
    type: bool
    default: false
  ca_common_name:
    description: The wanted common name of a CA the role makes.
    type: str
    default: ''
  stack:
    description:
      - The stack the PKI is for. I(dir) records the stack it belongs to in C(<dir>/stack) (the role writes it;
        a restore writes the stack it restores to); a directory that names another stack, or, without that
        record, holds a CA with another common name than I(ca_common_name), is another stack's (C(foreign)).
      - Empty, no such check.
    type: str
    default: ''
  key_type:
    description: C(ECC) or C(RSA).
    type: str
    default: ECC
  key_curve:
    description: The curve of ECC keys (as community.crypto names it, for example C(secp256r1)).
    type: str
    default: secp256r1
  key_size:
    description: The size of RSA keys.
    type: int
    default: 3072
  leafs:
    description: The leaves, name to C({names, ips, usages}); the files are C(<dir>/<name>.key) and C(<dir>/<name>.crt).
    type: dict
    required: true
  renew_days:
    description: A leaf with no more days left than this is to be renewed.
    type: int
    default: 30
'''

EXAMPLES = r'''
- name: Find what the PKI needs
  ansible.builtin.set_fact:
    plan: >-
      {{ query('dct.trust_stack.pki_plan', dir=pki_dir, ca_cert=pki_dir ~ '/ca.crt', ca_key=pki_dir ~ '/ca.key',
               ca_common_name='My CA', leafs={'registry': {'names': ['registry'], 'ips': [], 'usages': ['serverAuth']}})[0] }}
'''

RETURN = r'''
_raw:
  description: One dict with the reasons each part must be (re)made; empty lists when nothing is to be done.
  type: list
  elements: dict
  contains:
    dir:
      description: Reasons for the directory (missing, mode).
      type: list
      elements: str
    ca:
      description: Reasons for the CA key and certificate (always empty with I(own_ca)).
      type: list
      elements: str
    leafs:
      description: Leaf name to the reasons for its key and certificate.
      type: dict
    foreign:
      description:
        - Why I(dir) is another stack's (it names another stack in C(<dir>/stack), or, without that record, its CA's
          common name is not I(ca_common_name)); empty otherwise, and always with I(own_ca). The role refuses it
          rather than make a new CA over the other stack's.
      type: str
    record:
      description: Whether C(<dir>/stack) is to be written (it is missing, and the directory is not another stack's).
      type: bool
'''

import datetime
import ipaddress
import os
import stat

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False

USAGES = {'serverAuth': 'SERVER_AUTH', 'clientAuth': 'CLIENT_AUTH'}


def _mode_problem(path, mode):
    try:
        found = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return '%s is missing' % path
    return None if found == mode else '%s has mode %04o, not %04o' % (path, found, mode)


def _load(path, mode, loader, what):
    """(reasons, loader(content) or None) for the file at path, its mode checked too."""
    problem = _mode_problem(path, mode)
    if problem and 'missing' in problem:
        return [problem], None
    reasons = [problem] if problem else []
    try:
        with open(path, 'rb') as handle:
            return reasons, loader(handle.read())
    except (OSError, ValueError, TypeError) as exc:
        return reasons + ['%s is not %s (%s)' % (path, what, exc)], None


def _public(key):
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _common_names(cert):
    return [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]


def _key_usage(cert):
    """The set of key usages of cert that are set, or None when it has no critical key usage extension."""
    usage = _extension(cert, x509.KeyUsage)
    if not usage or not usage.critical:
        return None
    return set(name for name in ('digital_signature', 'key_encipherment', 'key_cert_sign', 'crl_sign')
               if getattr(usage.value, name))


def _extension(cert, kind):
    try:
        return cert.extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return None


class PkiPlan(object):
    """The checks; each returns a list of reasons (empty: as wanted)."""

    def __init__(self, options):
        self.o = options

    def key(self, path):
        """(reasons, private key or None)"""
        reasons, key = _load(path, 0o600, lambda data: serialization.load_pem_private_key(data, password=None),
                             'a readable unencrypted private key')
        if key is None:
            return reasons, None
        if self.o['key_type'] == 'ECC':
            if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != self.o['key_curve']:
                reasons.append('%s is not an ECC %s key' % (path, self.o['key_curve']))
        elif not isinstance(key, rsa.RSAPrivateKey) or key.key_size != int(self.o['key_size']):
            reasons.append('%s is not an RSA %s key' % (path, self.o['key_size']))
        return reasons, key

    def cert(self, path, key):
        """(reasons, certificate or None), checking the mode and that it carries key's public key."""
        reasons, cert = _load(path, 0o644, x509.load_pem_x509_certificate, 'a readable PEM certificate')
        if cert is not None and key is not None and _public(cert.public_key()) != _public(key.public_key()):
            reasons.append('%s does not carry the public key of its private key' % path)
        return reasons, cert

    def ca(self):
        """(reasons, CA certificate or None); an own CA is only read, never to be made."""
        if self.o['own_ca']:
            return [], _load(self.o['ca_cert'], 0o644, x509.load_pem_x509_certificate, 'a readable PEM certificate')[1]
        reasons, key = self.key(self.o['ca_key'])
        more, cert = self.cert(self.o['ca_cert'], key)
        reasons += more
        if cert is not None:
            names = _common_names(cert)
            if names != [self.o['ca_common_name']]:
                reasons.append('the CA common name is %s, not %s' % (', '.join(names) or 'none', self.o['ca_common_name']))
            constraints = _extension(cert, x509.BasicConstraints)
            if not constraints or not constraints.critical or not constraints.value.ca or constraints.value.path_length != 0:
                reasons.append('%s is not a CA certificate with path length 0 (critical)' % self.o['ca_cert'])
            if _key_usage(cert) != set(['key_cert_sign', 'crl_sign']):
                reasons.append('%s key usage is not keyCertSign and cRLSign (critical)' % self.o['ca_cert'])
        return reasons, cert

    def leaf(self, name, spec, ca_cert):
        path = os.path.join(self.o['dir'], name)
        reasons, key = self.key(path + '.key')
        more, cert = self.cert(path + '.crt', key)
        reasons += more
        if cert is None:
            return reasons
        wanted_cn = (spec.get('names') or [''])[0]
        if _common_names(cert) != [wanted_cn]:
            reasons.append('%s.crt common name is not %s' % (path, wanted_cn))
        san = _extension(cert, x509.SubjectAlternativeName)
        dns = sorted(san.value.get_values_for_type(x509.DNSName)) if san else []
        ips = sorted(str(ip) for ip in san.value.get_values_for_type(x509.IPAddress)) if san else []
        if dns != sorted(spec.get('names') or []) or ips != sorted(str(ipaddress.ip_address(ip)) for ip in spec.get('ips') or []):
            reasons.append('%s.crt names %s, not %s' % (path, dns + ips, list(spec.get('names') or []) + list(spec.get('ips') or [])))
        eku = _extension(cert, x509.ExtendedKeyUsage)
        wanted = set(getattr(ExtendedKeyUsageOID, USAGES.get(u, u)) for u in spec.get('usages') or [])
        if not eku or set(eku.value) != wanted:
            reasons.append('%s.crt is not for %s' % (path, ', '.join(spec.get('usages') or [])))
        constraints = _extension(cert, x509.BasicConstraints)
        if not constraints or not constraints.critical or constraints.value.ca:
            reasons.append('%s.crt is not marked as a non-CA certificate (critical)' % path)
        if _key_usage(cert) != set(['digital_signature', 'key_encipherment']):
            reasons.append('%s.crt key usage is not digitalSignature and keyEncipherment (critical)' % path)
        if ca_cert is None:
            reasons.append('the CA certificate %s is not readable' % self.o['ca_cert'])
        else:
            try:
                cert.verify_directly_issued_by(ca_cert)
            except (ValueError, TypeError, InvalidSignature) as exc:
                reasons.append('%s.crt is not issued by %s (%s)' % (path, self.o['ca_cert'], exc.__class__.__name__))
        left = cert.not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc)
        if left <= datetime.timedelta(days=int(self.o['renew_days'])):
            reasons.append('%s.crt has %d days left, renewal is due %d days before it expires'
                           % (path, left.days, int(self.o['renew_days'])))
        return reasons

    def owner(self, ca_cert):
        """{'foreign': why dir is another stack's, or '', 'record': whether to write dir/stack}."""
        if not self.o['stack'] or self.o['own_ca']:
            return {'foreign': '', 'record': False}
        try:
            with open(os.path.join(self.o['dir'], 'stack')) as handle:
                recorded = handle.read().strip()
        except (IOError, OSError):
            recorded = None
        if recorded is not None:
            return {'foreign': 'it belongs to stack %s (%s/stack)' % (recorded, self.o['dir'])
                    if recorded != self.o['stack'] else '', 'record': False}
        names = _common_names(ca_cert) if ca_cert is not None else []
        if names and names != [self.o['ca_common_name']]:
            return {'foreign': 'its CA is "%s", not "%s"' % (', '.join(names), self.o['ca_common_name']), 'record': False}
        return {'foreign': '', 'record': True}

    def run(self):
        problem = _mode_problem(self.o['dir'], 0o700)
        ca_reasons, ca_cert = self.ca()
        plan = {'dir': [problem] if problem else [], 'ca': ca_reasons, 'leafs': {}}
        plan.update(self.owner(ca_cert))
        for name, spec in sorted(self.o['leafs'].items()):
            # a CA that is to be made invalidates every leaf it issued
            plan['leafs'][name] = (['the CA is to be made'] if plan['ca'] else []) + self.leaf(name, spec, ca_cert)
        return plan


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if not HAS_CRYPTOGRAPHY or not hasattr(x509.Certificate, 'verify_directly_issued_by'):
            raise AnsibleLookupError('dct.trust_stack.pki_plan needs the cryptography Python library (42 or later) on the controller')
        self.set_options(var_options=variables, direct=kwargs)
        options = dict((name, self.get_option(name)) for name in (
            'dir', 'ca_cert', 'ca_key', 'own_ca', 'ca_common_name', 'stack', 'key_type', 'key_curve', 'key_size', 'leafs',
            'renew_days'))
        return [PkiPlan(options).run()]
