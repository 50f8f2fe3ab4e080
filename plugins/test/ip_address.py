# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The test ip_address: one rule for "is this an IP address" (Python's ipaddress), for the pki role's inputs and
the Galera nodes' certificates."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress


def ip_address(value):
    """True when value is one IPv4 or IPv6 address (no network, no port, no name)."""
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


class TestModule(object):
    def tests(self):
        return {'ip_address': ip_address}
