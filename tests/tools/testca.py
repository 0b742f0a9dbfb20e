"""A throwaway certificate authority for ec2seed's loopback tests.

make_ca(directory, hosts) writes ca.pem, server.pem and server.key (and a second
server certificate, wrong-host.pem/.key, for a host nobody asks for) and returns
their paths. It uses the openssl command, so the tests need no Python package
beyond the standard library. Run with /usr/bin/python3.
"""

import ipaddress
import os
import subprocess
import sys


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _san(hosts):
    entries = []
    for host in hosts:
        try:
            ipaddress.ip_address(host)
            entries.append("IP:" + host)
        except ValueError:
            entries.append("DNS:" + host)
    return ",".join(entries)


def _server_cert(directory, stem, hosts):
    ext = os.path.join(directory, stem + ".ext")
    with open(ext, "w", encoding="ascii") as f:
        f.write("basicConstraints=critical,CA:FALSE\n")
        f.write("keyUsage=critical,digitalSignature,keyEncipherment\n")
        f.write("extendedKeyUsage=serverAuth\n")
        f.write("subjectAltName=" + _san(hosts) + "\n")
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", stem + ".key", "-out", stem + ".csr",
             "-subj", "/CN=" + hosts[0], cwd=directory)
    _openssl("x509", "-req", "-in", stem + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-sha256", "-extfile", stem + ".ext",
             "-out", stem + ".pem", cwd=directory)


def make_ca(directory, hosts=("127.0.0.1", "localhost")):
    """Creates a CA and server certificates in directory; returns a dict of paths."""
    os.makedirs(directory, exist_ok=True)
    ca_ext = os.path.join(directory, "ca.ext")
    with open(ca_ext, "w", encoding="ascii") as f:
        f.write("[v3_ca]\nbasicConstraints=critical,CA:TRUE\n")
        f.write("keyUsage=critical,keyCertSign,cRLSign\n")
        f.write("subjectKeyIdentifier=hash\n")
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-sha256",
             "-subj", "/CN=ec2seed test CA", "-config", ca_ext, "-extensions", "v3_ca",
             cwd=directory)
    _server_cert(directory, "server", list(hosts))
    _server_cert(directory, "wrong-host", ["wrong.host.invalid"])
    return {
        "ca": os.path.join(directory, "ca.pem"),
        "cert": os.path.join(directory, "server.pem"),
        "key": os.path.join(directory, "server.key"),
        "wrong_host_cert": os.path.join(directory, "wrong-host.pem"),
        "wrong_host_key": os.path.join(directory, "wrong-host.key"),
    }


if __name__ == "__main__":
    out = make_ca(sys.argv[1], sys.argv[2:] or ("127.0.0.1", "localhost"))
    for name, path in out.items():
        print(name, path)
