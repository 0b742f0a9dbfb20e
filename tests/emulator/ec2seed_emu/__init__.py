"""A local stand-in for the EC2 instance metadata service and AWS KMS.

ec2seed's end-to-end and boot tests run the real binary against this emulator. No
part of ec2seed judges its own requests here: the emulator checks them the way the
services do (IMDSv2 token rules from the EC2 user guide; SigV4 verified with
botocore's signer; KMS GenerateRandom's limits) and records what it saw.

Modules:
  common  - the request log, the optional record of served values, the clock
  faults  - the fault table: what to break, for which requests, how many times
  server  - the HTTP/1.1 keep-alive server with per-connection TLS and logging
  imds    - the instance metadata service
  kms     - KMS GenerateRandom
  control - the control endpoint that lets a test change faults while running
"""
