# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker image references and signer names: parsing and the rules the docker CLI applies."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError

# docker/cli: signer names; 'releases' is reserved.
SIGNER_NAME_RE = re.compile(r'^[a-z0-9][a-z0-9_-]*$')
RESERVED_SIGNER_NAMES = ('releases',)

# A docker image reference: [host[:port]/]path[:tag][@digest], lower-case path components.
_HOST = r'(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?)'
_COMPONENT = r'(?:[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)'
_REPOSITORY = r'(?:%s/)?%s(?:/%s)*' % (_HOST, _COMPONENT, _COMPONENT)
_TAG = r'[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}'
TAG_RE = re.compile(r'^%s$' % _TAG)
REFERENCE_RE = re.compile(r'^(?P<repository>%s)(?::(?P<tag>%s))?$' % (_REPOSITORY, _TAG))


def check_signer_name(name):
    """Raise TrustError for a signer name the docker CLI would refuse."""
    if name in RESERVED_SIGNER_NAMES:
        raise TrustError('signer name "%s" is reserved by docker trust' % name)
    if not SIGNER_NAME_RE.match(name or ''):
        raise TrustError('signer name "%s" is invalid: it must match %s' % (name, SIGNER_NAME_RE.pattern))


def split_repository(ref, hint=''):
    """The repository of 'repo' (no tag allowed); raise TrustError when malformed or tagged."""
    repository, tag = split_reference(ref)
    if tag:
        raise TrustError('repository "%s" must not carry a tag%s' % (ref, hint))
    return repository


def split_reference(ref):
    """Split 'repo[:tag]' into (repository, tag or None); raise TrustError when malformed."""
    if '@' in ref:
        raise TrustError('image reference "%s" is malformed: sign a tag, not a digest' % ref)
    match = REFERENCE_RE.match(ref or '')
    if not match or len(match.group('repository')) > 255:
        raise TrustError('image reference "%s" is malformed: expected [host[:port]/]name[:tag] '
                         'with a lower-case name' % ref)
    return match.group('repository'), match.group('tag')


def is_registry_host(component):
    """Whether the first component of a reference names a registry host, as docker reads references: it has a dot
    or a port, or is localhost."""
    return '.' in component or ':' in component or component == 'localhost'


def image_registry(ref):
    """(registry, repository, tag or None) of an image reference as a container names it ([host[:port]/]name[:tag]
    [@digest]; a name without a registry host is docker.io's), or None for an image ID or what is not a reference."""
    name = (ref or '').partition('@')[0]
    match = REFERENCE_RE.match(name)
    if not match or name.startswith('sha256:') or re.match(r'^[0-9a-f]{12,64}$', name):
        return None
    repository = match.group('repository')
    first = repository.partition('/')[0]
    registry = first if '/' in repository and is_registry_host(first) else 'docker.io'
    return registry, repository, match.group('tag')


def requested_tags(params, verb):
    """(repository, [tags]) from the TARGET_ARGS options (_options.py): images of one repository, or a repository
    and its tags; tags de-duplicated in order; TrustError naming a bad one."""
    if params.get('images'):
        repository, tags = None, []
        for image in params['images']:
            name, tag = split_reference(image)
            if not tag:
                raise TrustError('image "%s" has no tag: name the tag to %s' % (image, verb))
            if repository not in (None, name):
                raise TrustError('images: %s and %s are in different repositories; one task %ss the tags of one '
                                 'repository' % (repository, name, verb))
            repository = name
            tags.append(tag)
    else:
        repository = split_repository(params['repository'], hint='; list tags in "tags"')
        tags = params['tags']
    tags = list(dict.fromkeys(tags))
    for tag in tags:
        if not TAG_RE.match(tag):
            raise TrustError('tag "%s" is malformed' % tag)
    return repository, tags
