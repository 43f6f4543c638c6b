#!/usr/bin/env python3
"""Generate a large, realistic, seeded CloudTrail trail (and S3 access logs) for benchmarks.

    scripts/gen-trail.py --out DIR --size 2GB [--seed 1] [--days 2] [--start 2026-11-24]
                         [--accounts 4] [--regions us-east-1,us-west-2,eu-west-1]
                         [--org o-ID] [--access-share 0.08] [--gzip-level 9] [--jobs 2]

--size is the UNCOMPRESSED size of everything written (CloudTrail JSON plus access-log
text), the quantity trailhound reports as "MB/s decompressed"; units KB/MB/GB/TB are
powers of 1000, KiB/MiB/GiB powers of 1024. The gzip files on disk are about 9-11x
smaller (CloudTrail's own files compress 7-10x; see the stats at the end).

What it writes (all synthetic: example-looking ids, documentation and private IPs):

* DIR/AWSLogs/[<org>/]<account>/CloudTrail/<region>/YYYY/MM/DD/
  <account>_CloudTrail_<region>_YYYYMMDDTHHMMZ_<16 alnum>.json.gz, one or more files per
  account, region and 5-minute window, named and foldered by their delivery time (5-12
  minutes after the window, so the last windows of a day land under the next day's
  folder, as real late deliveries do). Each file is one gzip member (mtime 0, XFL and OS
  bytes as CloudTrail's: level 9 by default, which is what CloudTrail's files match)
  holding minified {"Records":[...]} plus "\\n", keys in the order CloudTrail writes them.
  Volume varies by account (a heavy production account), by region (the home region
  carries most) and by hour (a business-day curve); files hold up to 1,500-6,000 records,
  so they range from a few KB to about 1 MB of gzip, with a few hundred to a few thousand
  records in the busy windows.
* The mix: S3 data events (GetObject, PutObject, HeadObject, ListObjects, DeleteObject
  with additionalEventData, resources and tlsDetails), KMS Decrypt/GenerateDataKey,
  STS AssumeRole/GetCallerIdentity (also by AWS services), EC2 Describe*/RunInstances,
  IAM reads and writes, SageMaker (InvokeEndpoint data events, CreateTrainingJob,
  CreateEndpoint/Config, CreateModel, Describe/List), Bedrock InvokeModel/Converse,
  Comprehend, Rekognition, ConsoleLogin (successes, failures, root), about 3 % errors
  (AccessDenied & co. with errorCode/errorMessage), userIdentity of types IAMUser,
  AssumedRole (sessionContext, ec2RoleDelivery, inScopeOf for Lambda), Root, AWSService
  and FederatedUser. Records average about 1.8 KB (1.1-2.5 KB by event).
* S3 server access logs (spec/formats.md section 3) for a few buckets per account under
  DIR/s3-access-logs/<bucket>/YYYY-MM-DD-hh-mm-ss-<16 upper hex> (SimplePrefix layout,
  plain text as S3 delivers them), one object every few minutes per bucket, 27 fields
  (the 2026 format, ending with the source Region).
  They are --access-share of --size.
* DIR/_gen.json: the parameters and totals (files, records, lines, bytes), hidden from
  scanners by its leading underscore.

Fast enough for tens of GB: every event shape is rendered to a JSON template once per
account (pools of a few thousand), and each record only fills its holes (time, ids,
IP, object key, bytes) with %-formatting; gzip runs in --jobs processes (default: every
core). Work is cut into (account, region, day) units, each with its own random.Random
seeded from --seed and the unit, so the output is byte-identical for a seed whatever the
--jobs. Standard library only.
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import random
import shutil
import sys
import time
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
UPPER_NUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
UPPER_HEX = "0123456789ABCDEF"

DEFAULT_REGIONS = "us-east-1,us-west-2,eu-west-1"
FILE_RECORDS = (1500, 6000)          # a file holds at most this many records (random per file)
WINDOW_S = 300                       # CloudTrail delivers about every 5 minutes per region
ACCESS_OBJECT_S = (120, 900)         # one access-log object every 2-15 minutes per bucket

UA_CLI = ("aws-cli/2.22.35 md/awscrt#0.23.8 ua/2.0 os/linux#6.8.0-1019-aws md/arch#x86_64 "
          "lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe "
          "md/distrib#ubuntu.24 md/prompt#off md/command#{cmd}")
UA_CLI_MAC = ("aws-cli/2.21.2 md/awscrt#0.22.0 ua/2.0 os/macos#24.1.0 md/arch#arm64 "
              "lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source "
              "md/prompt#off md/command#{cmd}")
UA_BOTO3 = ("Boto3/1.35.76 md/Botocore#1.35.76 ua/2.0 os/linux#5.10.228-219.884.amzn2.x86_64 "
            "md/arch#x86_64 lang/python#3.11.10 md/pyimpl#CPython cfg/retry-mode#legacy "
            "Botocore/1.35.76")
UA_SAGEMAKER = ("Boto3/1.34.131 md/Botocore#1.34.131 ua/2.0 os/linux#5.10.227-219.884.amzn2.x86_64 "
                "md/arch#x86_64 lang/python#3.10.14 md/pyimpl#CPython exec-env/AWS_SageMaker_Training "
                "cfg/retry-mode#standard Botocore/1.34.131 sagemaker-python-sdk/2.232.2")
UA_JAVA = ("aws-sdk-java/2.29.15 md/io#sync md/http#Apache ua/2.1 os/Linux#5.10.228-219.884.amzn2.x86_64 "
           "lang/java#17.0.13 md/OpenJDK_64-Bit_Server_VM#17.0.13+11-LTS md/vendor#Amazon.com_Inc. "
           "md/en_US m/F,G,N")
UA_SPARK = ("aws-sdk-java/1.12.772 Linux/5.10.228-219.884.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.13+11-LTS "
            "java/17.0.13 scala/2.12.18 vendor/Amazon.com_Inc. cfg/retry-mode/standard "
            "exec-env/AWS_ECS_EC2 Hadoop/3.4.0 S3A")
UA_TERRAFORM = ("APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) "
                "terraform-provider-aws/5.78.0 (+https://registry.terraform.io/providers/hashicorp/aws) "
                "aws-sdk-go-v2/1.32.5 ua/2.1 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64")
UA_LAMBDA_JS = ("aws-sdk-js/3.693.0 ua/2.1 os/linux#5.10.227-239.884.amzn2.x86_64 lang/js "
                "md/nodejs#20.18.0 api/bedrock-runtime#3.693.0 exec-env/AWS_Lambda_nodejs20.x m/E,e")
UA_CHROME = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
             "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
UA_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0"
UA_S3_CONSOLE = ("[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.779 "
                 "Linux/5.10.228-198.884.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.432-b06 "
                 "java/1.8.0_432 vendor/Oracle_Corporation cfg/retry-mode/standard]")
UA_INTERNAL = "AWS Internal"

BEDROCK_MODELS = ["anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0",
                  "amazon.titan-embed-text-v2:0", "meta.llama3-8b-instruct-v1:0",
                  "anthropic.claude-3-5-haiku-20241022-v1:0", "amazon.nova-lite-v1:0"]
TLS13 = ("TLSv1.3", "TLS_AES_128_GCM_SHA256")
TLS12 = ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256")

# Holes in a template: %(name)s, filled per record (R_*) or per window (W_*).
def hole(name: str) -> str:
    """A hole filled per record (R_*) or per window (W_*); inside a JSON string value."""
    return "\x00%s\x00" % name


def num_hole(name: str) -> str:
    """A hole that becomes a bare JSON number (the whole value)."""
    return "\x01%s\x02" % name


def parse_size(text: str) -> int:
    units = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
             "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40, "K": 10**3, "M": 10**6, "G": 10**9}
    s = text.strip().upper()
    num = s.rstrip("KMGTIB")
    unit = s[len(num):]
    if unit not in units:
        raise argparse.ArgumentTypeError(f"bad size {text!r}: use e.g. 500MB, 2GB, 20GiB")
    return int(float(num) * units[unit])


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def java_date(t: datetime) -> str:
    return t.strftime("%b %-d, %Y, %-I:%M:%S %p")


def unit_seed(seed: int, *parts) -> int:
    """A stable 64-bit seed for one unit of work (hash() is salted per process)."""
    h = zlib.crc32(repr((seed,) + parts).encode())
    return (seed * 1_000_003 + h) & 0xFFFFFFFFFFFFFFFF


# --------------------------------------------------------------------------
# Accounts and their principals
# --------------------------------------------------------------------------

class Ids:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def s(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choices(alphabet, k=n))

    def hexs(self, n: int) -> str:
        return "%0*x" % (n, self.rng.getrandbits(4 * n))

    def uuid(self) -> str:
        h = self.hexs(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


class Principal:
    """One caller: its userIdentity (as a dict), where it calls from, how."""

    def __init__(self, kind, identity, ips, uas, tls=TLS13, console=False, name=""):
        self.kind, self.identity, self.ips, self.uas = kind, identity, ips, uas
        self.tls, self.console, self.name = tls, console, name

    @property
    def service(self) -> bool:
        return self.kind in ("AWSService",) or self.ips[0].endswith(".amazonaws.com")


class Account:
    """Principals, buckets, keys and endpoints of one synthetic account."""

    def __init__(self, seed: int, index: int, org: str | None, regions: list[str]):
        rng = random.Random(unit_seed(seed, "account", index))
        self.rng, self.ids = rng, Ids(rng)
        self.index = index
        self.id = str(rng.randint(10**11, 10**12 - 1))
        self.name = ["prod-ml", "data", "sandbox", "shared-services", "analytics", "security",
                     "dev-ml", "staging"][index % 8] + (f"-{index // 8}" if index >= 8 else "")
        self.regions = regions
        self.org = org
        self.kms_keys = {r: self.ids.uuid() for r in regions}
        pre = self.name.replace("-", "")
        self.buckets = [f"acme-{self.name}-{s}" for s in
                        ("training-data", "models", "feature-store", "raw-events", "athena-results", "artifacts")]
        self.endpoints = [f"{pre}-{m}-{rng.randint(1, 9)}" for m in
                          ("fraud-xgb", "reco-two-tower", "churn", "llm-rerank", "embed-small")]
        self.principals = self._principals()

    def ip_pool(self, kind: str, n: int) -> list[str]:
        r = self.rng
        if kind == "office":
            return [f"198.51.100.{r.randint(2, 254)}" for _ in range(n)]
        if kind == "home":
            return [f"203.0.113.{r.randint(2, 254)}" for _ in range(n)]
        if kind == "nat":   # EC2/EKS NAT gateways
            return [f"{r.choice((3, 18, 34, 44, 52, 54))}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
                    for _ in range(n)]
        return [f"10.{self.index}.{r.randint(0, 255)}.{r.randint(1, 254)}" for _ in range(n)]   # VPC endpoint

    def session_context(self, issuer: dict | None, mfa: bool) -> dict:
        return {"sessionIssuer": issuer if issuer is not None else {}, "webIdFederationData": {},
                "attributes": {"creationDate": hole("W_CD"), "mfaAuthenticated": "true" if mfa else "false"}}

    def role_identity(self, role: str, session: str, *, path: str = "", ec2: bool = False,
                      lam: str | None = None, invoked_by: str | None = None, mfa: bool = False) -> dict:
        rid = "AROA" + self.ids.s(B32, 17)
        issuer = {"type": "Role", "principalId": rid, "arn": f"arn:aws:iam::{self.id}:role/{path}{role}",
                  "accountId": self.id, "userName": role}
        ctx = self.session_context(issuer, mfa)
        if ec2:
            ctx["ec2RoleDelivery"] = "2.0"
        ui = {"type": "AssumedRole", "principalId": f"{rid}:{session}",
              "arn": f"arn:aws:sts::{self.id}:assumed-role/{role}/{session}", "accountId": self.id,
              "accessKeyId": "ASIA" + self.ids.s(B32, 16), "sessionContext": ctx}
        if invoked_by:
            ui["invokedBy"] = invoked_by
        if lam:
            ui["inScopeOf"] = {"issuerType": "AWS::Lambda::Function",
                               "credentialsIssuedTo": f"arn:aws:lambda:{self.regions[0]}:{self.id}:function:{lam}"}
        return ui

    def _principals(self) -> list[tuple[float, Principal]]:
        """(weight, principal): weights are the share of this account's calls."""
        i, acc, out = self.ids, self.id, []
        # People: console sessions (ASIA keys, sessionContext) and CLI access keys (AKIA).
        for name in ("alice.nguyen", "bob.okafor", "carol.silva", "dmitri.ivanov", "erin.walsh"):
            pid = "AIDA" + i.s(B32, 17)
            arn = f"arn:aws:iam::{acc}:user/{name}"
            cli = {"type": "IAMUser", "principalId": pid, "arn": arn, "accountId": acc,
                   "accessKeyId": "AKIA" + i.s(B32, 16), "userName": name}
            con = {"type": "IAMUser", "principalId": pid, "arn": arn, "accountId": acc,
                   "accessKeyId": "ASIA" + i.s(B32, 16), "userName": name,
                   "sessionContext": self.session_context({}, True)}
            home = self.ip_pool("home", 2) + self.ip_pool("office", 3)
            out.append((1.0, Principal("IAMUser", cli, home, [UA_CLI_MAC, UA_BOTO3], name=name)))
            out.append((0.6, Principal("IAMUser", con, home, [UA_CHROME, UA_FIREFOX, UA_S3_CONSOLE],
                                       tls=TLS12, console=True, name=name)))
        # Service users with long-term keys.
        for name, uas, pool in (("svc-etl", [UA_SPARK, UA_JAVA], "nat"), ("ci-deployer", [UA_TERRAFORM], "nat"),
                                ("svc-reporting", [UA_BOTO3], "office")):
            ui = {"type": "IAMUser", "principalId": "AIDA" + i.s(B32, 17),
                  "arn": f"arn:aws:iam::{acc}:user/{name}", "accountId": acc,
                  "accessKeyId": "AKIA" + i.s(B32, 16), "userName": name}
            out.append((3.0 if name == "svc-etl" else 1.0, Principal("IAMUser", ui, self.ip_pool(pool, 4), uas,
                                                                      tls=TLS12, name=name)))
        # Workload roles: the bulk of the traffic.
        for n in range(4):
            sess = f"i-0{i.hexs(16)}"
            out.append((4.0, Principal("AssumedRole", self.role_identity("ml-inference-ec2", sess, ec2=True),
                                       self.ip_pool("vpc", 3), [UA_BOTO3, UA_JAVA], name="ml-inference-ec2")))
        for n in range(3):
            sess = f"SageMaker-{i.hexs(12)}"
            out.append((4.0, Principal("AssumedRole", self.role_identity(
                "AmazonSageMaker-ExecutionRole-20261015T101010", sess, path="service-role/"),
                self.ip_pool("vpc", 2), [UA_SAGEMAKER], name="sagemaker-exec")))
        for fn in ("genai-chat-api", "doc-summarizer"):
            sess = fn
            out.append((2.5, Principal("AssumedRole", self.role_identity(f"{fn}-role", sess, lam=fn),
                                       self.ip_pool("nat", 3), [UA_LAMBDA_JS], name=f"{fn}-role")))
        for n in range(3):
            sess = f"emr-{i.hexs(8)}"
            out.append((3.0, Principal("AssumedRole", self.role_identity("emr-feature-pipeline", sess),
                                       self.ip_pool("nat", 4), [UA_SPARK], tls=TLS12, name="emr-feature-pipeline")))
        for who in ("frank.mueller@example.com", "grace.kim@example.com", "hiro.tanaka@example.com"):
            ui = self.role_identity(f"AWSReservedSSO_DataScientist_{i.hexs(16)}", who,
                                    path="aws-reserved/sso.amazonaws.com/", mfa=False)
            out.append((1.2, Principal("AssumedRole", ui, self.ip_pool("office", 2) + self.ip_pool("home", 1),
                                       [UA_CLI, UA_CHROME], console=True, name="sso-datascientist")))
        # Calls made by AWS services on the account's behalf.
        for svc in ("sagemaker.amazonaws.com", "glue.amazonaws.com", "athena.amazonaws.com"):
            ui = self.role_identity(f"{svc.split('.')[0]}-service-access", f"{svc.split('.')[0]}-{i.hexs(8)}",
                                    invoked_by=svc)
            out.append((1.5, Principal("AssumedRole", ui, [svc], [svc], name=f"via-{svc}")))
        for svc in ("ec2.amazonaws.com", "lambda.amazonaws.com", "sagemaker.amazonaws.com"):
            out.append((0.8, Principal("AWSService", {"type": "AWSService", "invokedBy": svc}, [svc], [svc],
                                       name=svc)))
        # A federated partner sync and, rarely, root.
        fed = {"type": "FederatedUser", "principalId": f"{acc}:partner-sync",
               "arn": f"arn:aws:sts::{acc}:federated-user/partner-sync", "accountId": acc,
               "accessKeyId": "ASIA" + i.s(B32, 16),
               "sessionContext": {"sessionIssuer": {"type": "IAMUser", "principalId": "AIDA" + i.s(B32, 17),
                                                    "arn": f"arn:aws:iam::{acc}:user/partner-broker",
                                                    "accountId": acc, "userName": "partner-broker"},
                                  "webIdFederationData": {},
                                  "attributes": {"creationDate": hole("W_CD"), "mfaAuthenticated": "false"}}}
        out.append((0.4, Principal("FederatedUser", fed, self.ip_pool("nat", 2), [UA_JAVA], name="partner-sync")))
        root = {"type": "Root", "principalId": acc, "arn": f"arn:aws:iam::{acc}:root", "accountId": acc,
                "accessKeyId": "ASIA" + i.s(B32, 16), "sessionContext": self.session_context({}, True)}
        out.append((0.03, Principal("Root", root, self.ip_pool("home", 1), [UA_CHROME], tls=TLS12,
                                    console=True, name="root")))
        return out


# --------------------------------------------------------------------------
# Event shapes: each returns a record dict with holes
# --------------------------------------------------------------------------

EVENT_VERSION = {"s3": "1.10", "kms": "1.08", "sts": "1.08", "ec2": "1.10", "iam": "1.09", "sagemaker": "1.11",
                 "bedrock": "1.10", "comprehend": "1.09", "rekognition": "1.09", "signin": "1.09"}
READ_PREFIXES = ("Get", "List", "Describe", "Head", "Detect", "Search", "Invoke", "Converse", "Decrypt",
                 "GenerateDataKey", "AssumeRole")


def host_for(svc: str, region: str, name: str) -> str:
    if svc == "bedrock" and name in ("InvokeModel", "Converse"):
        return f"bedrock-runtime.{region}.amazonaws.com"
    if svc == "sagemaker" and name == "InvokeEndpoint":
        return f"runtime.sagemaker.{region}.amazonaws.com"
    if svc == "sagemaker":
        return f"api.sagemaker.{region}.amazonaws.com"
    if svc in ("iam", "signin"):
        return f"{svc}.amazonaws.com"
    if svc == "ec2":
        return f"ec2.{region}.amazonaws.com"
    return f"{svc}.{region}.amazonaws.com"


def record(acct: Account, p: Principal, region: str, source: str, name: str, *, req=None, resp=None,
           extra=None, resources=None, error=None, event_type="AwsApiCall", category="Management",
           host=None, request_id=None, shared=False, identity=None, read_only=None) -> dict:
    """One record with holes, keys in the order CloudTrail writes them."""
    svc = source.split(".")[0]
    rec = {
        "eventVersion": EVENT_VERSION.get(svc, "1.08"),
        "userIdentity": identity if identity is not None else p.identity,
        "eventTime": hole("R_T"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": hole("R_IP"),
        "userAgent": hole("R_UA"),
    }
    if error:
        code, message = error
        if code:
            rec["errorCode"] = code
        rec["errorMessage"] = message
    rec["requestParameters"] = req
    rec["responseElements"] = None if error else resp
    if extra is not None:
        rec["additionalEventData"] = extra
    if request_id is not False:
        rec["requestID"] = hole(request_id or "R_UUID2")
    rec["eventID"] = hole("R_UUID")
    rec["readOnly"] = name.startswith(READ_PREFIXES) if read_only is None else read_only
    if resources:
        rec["resources"] = resources
    rec["eventType"] = event_type
    rec["managementEvent"] = category != "Data"
    rec["recipientAccountId"] = acct.id
    if shared:
        rec["sharedEventID"] = hole("R_UUID3")
    rec["eventCategory"] = category
    if not p.service:
        rec["tlsDetails"] = {"tlsVersion": p.tls[0], "cipherSuite": p.tls[1],
                             "clientProvidedHostHeader": host or host_for(svc, region, name)}
    if p.console:
        rec["sessionCredentialFromConsole"] = "true"
    return rec


def denied(p: Principal, action: str, resource: str, code="AccessDenied") -> tuple[str, str]:
    arn = p.identity.get("arn", "anonymous")
    return code, (f"User: {arn} is not authorized to perform: {action} on resource: {resource} "
                  f"because no identity-based policy allows the {action} action")


class Shapes:
    """Builds the template pool of one account and region."""

    def __init__(self, acct: Account, region: str, rng: random.Random):
        self.a, self.region, self.rng = acct, region, rng
        self.ids = Ids(rng)
        people = [(w, p) for w, p in acct.principals if p.kind in ("IAMUser", "AssumedRole", "FederatedUser", "Root")
                  and not p.service]
        self.callers = people
        self.workloads = [(w, p) for w, p in people if p.name in (
            "ml-inference-ec2", "sagemaker-exec", "emr-feature-pipeline", "svc-etl", "genai-chat-api-role",
            "doc-summarizer-role", "partner-sync")]
        self.humans = [(w, p) for w, p in people if p.name not in dict((q.name, 1) for _, q in self.workloads)]
        self.services = [(w, p) for w, p in acct.principals if p.service]

    def pick(self, pool):
        return self.rng.choices([p for _, p in pool], weights=[w for w, _ in pool], k=1)[0]

    def kms_arn(self) -> str:
        return f"arn:aws:kms:{self.region}:{self.a.id}:key/{self.a.kms_keys[self.region]}"

    # ---- S3 ------------------------------------------------------------------
    def s3(self, name: str, p: Principal, *, err=False) -> dict:
        r, a = self.rng, self.a
        bucket = r.choice(a.buckets)
        host = f"{bucket}.s3.{self.region}.amazonaws.com"
        data = name in ("GetObject", "PutObject", "HeadObject", "DeleteObject", "ListObjects", "CopyObject")
        prefix = r.choice(("datasets/clickstream/dt=", "features/v3/dt=", "raw/events/year=2026/dt=",
                           "training-output/", "checkpoints/run-", "query-results/"))
        key = f"{prefix}{hole('W_DAY')}/part-{hole('R_N4')}-{hole('R_HEX8')}.{r.choice(('parquet', 'json.gz', 'csv', 'pt'))}"
        req = {"bucketName": bucket, "Host": host}
        if name == "ListObjects":
            req.update({"list-type": "2", "prefix": f"{prefix}{hole('W_DAY')}/", "delimiter": "/",
                        "max-keys": "1000", "encoding-type": "url"})
        elif name in ("GetObject", "HeadObject", "DeleteObject"):
            req["key"] = key
        elif name == "PutObject":
            req.update({"key": key, "x-amz-server-side-encryption": "aws:kms",
                        "x-amz-server-side-encryption-aws-kms-key-id": self.kms_arn()})
        if name == "GetObject" and r.random() < 0.3:
            req["Range"] = "bytes=0-" + hole("R_N6")
        bytes_out = num_hole("R_BYTES") if name == "GetObject" else (num_hole("R_LISTB") if name == "ListObjects" else 0)
        bytes_in = num_hole("R_BYTES") if name == "PutObject" else 0
        extra = {"SignatureVersion": "SigV4", "CipherSuite": p.tls[1], "bytesTransferredIn": bytes_in,
                 "AuthenticationMethod": "AuthHeader", "x-amz-id-2": hole("R_AMZ"),
                 "bytesTransferredOut": bytes_out}
        bucket_res = {"accountId": a.id, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}
        if name == "ListObjects":
            res = [{"type": "AWS::S3::Object", "ARNPrefix": f"arn:aws:s3:::{bucket}/{prefix}{hole('W_DAY')}/"},
                   bucket_res]
        else:
            res = [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"}, bucket_res]
        resp = None
        if name == "PutObject":
            resp = {"x-amz-server-side-encryption-aws-kms-key-id": self.kms_arn(),
                    "x-amz-server-side-encryption": "aws:kms", "x-amz-version-id": hole("R_HEX8") + self.ids.s(ALNUM, 24)}
        error = None
        if err:
            error = ("AccessDenied", "Access Denied") if r.random() < 0.7 else ("NoSuchKey", "The specified key does not exist.")
        return record(a, p, self.region, "s3.amazonaws.com", name, req=req, resp=resp, extra=extra, resources=res,
                      error=error, category="Data" if data else "Management", host=host, request_id="R_S3ID")

    # ---- KMS ------------------------------------------------------------------
    def kms(self, name: str, p: Principal, *, err=False) -> dict:
        r = self.rng
        ctx = r.choice(({"aws:s3:arn": f"arn:aws:s3:::{r.choice(self.a.buckets)}"},
                        {"aws:sagemaker:training-job": "xgb-" + self.ids.hexs(8)},
                        {"aws:lambda:FunctionArn": f"arn:aws:lambda:{self.region}:{self.a.id}:function:genai-chat-api"}))
        req = {"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": ctx} if name == "Decrypt" else \
            {"keyId": self.kms_arn(), "encryptionContext": ctx, "keySpec": "AES_256"}
        if name == "Decrypt":
            req = {"keyId": self.kms_arn(), **req}
        res = [{"accountId": self.a.id, "type": "AWS::KMS::Key", "ARN": self.kms_arn()}]
        error = denied(p, f"kms:{name}", self.kms_arn(), "AccessDenied") if err else None
        return record(self.a, p, self.region, "kms.amazonaws.com", name, req=req, resources=res, error=error)

    # ---- STS ------------------------------------------------------------------
    def sts(self, name: str, p: Principal, *, err=False) -> dict:
        a, r = self.a, self.rng
        if name == "GetCallerIdentity":
            return record(a, p, self.region, "sts.amazonaws.com", name)
        role = r.choice(("ml-inference-ec2", "emr-feature-pipeline", "genai-chat-api-role", "data-readonly",
                         "OrganizationAccountAccessRole"))
        session = hole("R_SESSION")
        role_arn = f"arn:aws:iam::{a.id}:role/{role}"
        req = {"roleArn": role_arn, "roleSessionName": session, "durationSeconds": 3600}
        rid = "AROA" + self.ids.s(B32, 17)
        resp = {"credentials": {"accessKeyId": "ASIA" + hole("R_KEY16"), "sessionToken": hole("R_TOKEN"),
                                "expiration": hole("W_EXP")},
                "assumedRoleUser": {"assumedRoleId": f"{rid}:{session}",
                                    "arn": f"arn:aws:sts::{a.id}:assumed-role/{role}/{session}"}}
        res = [{"accountId": a.id, "type": "AWS::IAM::Role", "ARN": role_arn}]
        error = denied(p, "sts:AssumeRole", role_arn) if err else None
        return record(a, p, self.region, "sts.amazonaws.com", name, req=req, resp=resp, resources=res, error=error,
                      shared=p.kind == "AWSService")

    # ---- EC2 ------------------------------------------------------------------
    def ec2(self, name: str, p: Principal, *, err=False) -> dict:
        a, r, ids = self.a, self.rng, self.ids
        if name == "RunInstances":
            iid = "i-0" + ids.hexs(16)
            itype = r.choice(("g5.2xlarge", "p4d.24xlarge", "m6i.large", "c7g.xlarge"))
            req = {"instancesSet": {"items": [{"imageId": "ami-0" + ids.hexs(16), "minCount": 1, "maxCount": 1}]},
                   "instanceType": itype, "blockDeviceMapping": {}, "monitoring": {"enabled": False},
                   "disableApiTermination": False, "disableApiStop": False, "clientToken": hole("R_UUID2"),
                   "tagSpecificationSet": {"items": [{"resourceType": "instance", "tags": [
                       {"key": "team", "value": "ml-platform"}, {"key": "Name", "value": "trainer-" + ids.hexs(4)}]}]}}
            resp = {"requestId": hole("R_UUID2"), "reservationId": "r-0" + ids.hexs(16), "ownerId": a.id,
                    "groupSet": {}, "instancesSet": {"items": [{
                        "instanceId": iid, "imageId": req["instancesSet"]["items"][0]["imageId"],
                        "instanceState": {"code": 0, "name": "pending"}, "privateDnsName": f"ip-10-{a.index}-1-2.ec2.internal",
                        "amiLaunchIndex": 0, "productCodes": {}, "instanceType": itype, "launchTime": 1764000000000,
                        "placement": {"availabilityZone": self.region + "a", "tenancy": "default"},
                        "monitoring": {"state": "disabled"}, "subnetId": "subnet-0" + ids.hexs(16),
                        "vpcId": "vpc-0" + ids.hexs(16), "privateIpAddress": f"10.{a.index}.1.2",
                        "stateReason": {"code": "pending", "message": "pending"}, "architecture": "x86_64",
                        "rootDeviceType": "ebs", "rootDeviceName": "/dev/xvda", "blockDeviceMapping": {},
                        "virtualizationType": "hvm", "hypervisor": "xen", "ebsOptimized": False,
                        "enaSupport": True, "cpuOptions": {"coreCount": 4, "threadsPerCore": 2},
                        "metadataOptions": {"state": "pending", "httpTokens": "required",
                                            "httpPutResponseHopLimit": 2, "httpEndpoint": "enabled"}}]}}
            error = ("Client.UnauthorizedOperation", "You are not authorized to perform this operation. "
                     f"User: {p.identity.get('arn', '')} is not authorized to perform: ec2:RunInstances") if err else None
            return record(a, p, self.region, "ec2.amazonaws.com", name, req=req, resp=resp, error=error)
        req = {"DescribeInstances": {"instancesSet": {}, "filterSet": {"items": [
                   {"name": "tag:team", "valueSet": {"items": [{"value": "ml-platform"}]}}]}},
               "DescribeSecurityGroups": {"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}},
               "DescribeSubnets": {"subnetSet": {}, "filterSet": {"items": [{"name": "vpc-id", "valueSet": {
                   "items": [{"value": "vpc-0" + ids.hexs(16)}]}}]}},
               "DescribeVolumes": {"volumeSet": {}, "filterSet": {}},
               "DescribeNetworkInterfaces": {"networkInterfaceIdSet": {}, "filterSet": {"items": [
                   {"name": "attachment.instance-id", "valueSet": {"items": [{"value": "i-0" + ids.hexs(16)}]}}]}},
               "DescribeRegions": {"regionSet": {}, "allRegions": False},
               "DescribeImages": {"executableBySet": {}, "imagesSet": {}, "ownersSet": {"items": [{"owner": "amazon"}]},
                                  "filterSet": {"items": [{"name": "name", "valueSet": {"items": [
                                      {"value": "Deep Learning AMI GPU PyTorch*"}]}}]}}}[name]
        error = ("Client.UnauthorizedOperation", "You are not authorized to perform this operation.") if err else None
        return record(a, p, self.region, "ec2.amazonaws.com", name, req=req, error=error)

    # ---- IAM ------------------------------------------------------------------
    def iam(self, name: str, p: Principal, *, err=False) -> dict:
        a, r = self.a, self.rng
        role = r.choice(("ml-inference-ec2", "emr-feature-pipeline", "genai-chat-api-role", "data-readonly"))
        user = r.choice(("alice.nguyen", "svc-etl", "ci-deployer", "svc-reporting"))
        req, resp = {
            "GetRole": ({"roleName": role}, None),
            "ListRoles": ({"maxItems": 100}, None),
            "GetUser": ({"userName": user}, None),
            "ListAttachedRolePolicies": ({"roleName": role}, None),
            "ListAccessKeys": ({"userName": user}, None),
            "GetPolicyVersion": ({"policyArn": f"arn:aws:iam::{a.id}:policy/{role}-access", "versionId": "v3"}, None),
            "CreateAccessKey": ({"userName": user}, {"accessKey": {
                "userName": user, "accessKeyId": "AKIA" + hole("R_KEY16"), "status": "Active",
                "createDate": hole("W_JDATE")}}),
            "AttachRolePolicy": ({"roleName": role, "policyArn": "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"}, None),
            "PutRolePolicy": ({"roleName": role, "policyName": "inline-s3",
                               "policyDocument": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                                                 '"Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}'}, None),
        }[name]
        error = denied(p, f"iam:{name}", f"arn:aws:iam::{a.id}:role/{role}") if err else None
        return record(a, p, "us-east-1", "iam.amazonaws.com", name, req=req, resp=resp, error=error)

    # ---- SageMaker ------------------------------------------------------------
    def sagemaker(self, name: str, p: Principal, *, err=False) -> dict:
        a, r, ids, region = self.a, self.rng, self.ids, self.region
        ep = r.choice(a.endpoints)
        exec_role = f"arn:aws:iam::{a.id}:role/service-role/AmazonSageMaker-ExecutionRole-20261015T101010"
        if name == "InvokeEndpoint":
            arn = f"arn:aws:sagemaker:{region}:{a.id}:endpoint/{ep}"
            req = {"endpointName": ep, "contentType": r.choice(("application/json", "text/csv")),
                   "accept": "application/json"}
            return record(a, p, region, "sagemaker.amazonaws.com", name, req=req,
                          resources=[{"accountId": a.id, "type": "AWS::SageMaker::Endpoint", "ARN": arn}],
                          category="Data", error=denied(p, "sagemaker:InvokeEndpoint", arn) if err else None)
        job = f"{r.choice(('xgb-fraud', 'two-tower-reco', 'llm-ft-support'))}-{hole('W_DAY')}-{hole('R_HEX8')}"
        gpu = "llm" in job
        if name == "CreateTrainingJob":
            req = {"trainingJobName": job,
                   "algorithmSpecification": {
                       "trainingImage": f"{a.id}.dkr.ecr.{region}.amazonaws.com/" + (
                           "llm-train:2.3-gpu-cu121" if gpu else "xgboost-train:1.7-cpu"),
                       "trainingInputMode": "File", "enableSageMakerMetricsTimeSeries": False},
                   "roleArn": exec_role,
                   "inputDataConfig": [{"channelName": "train", "dataSource": {"s3DataSource": {
                       "s3DataType": "S3Prefix", "s3Uri": f"s3://{a.buckets[0]}/datasets/clickstream/",
                       "s3DataDistributionType": "FullyReplicated"}}}],
                   "outputDataConfig": {"s3OutputPath": f"s3://{a.buckets[1]}/training-output/",
                                        "kmsKeyId": self.kms_arn()},
                   "resourceConfig": {"instanceType": "ml.p4d.24xlarge" if gpu else "ml.m5.xlarge",
                                      "instanceCount": 2 if gpu else 1, "volumeSizeInGB": 200 if gpu else 30},
                   "stoppingCondition": {"maxRuntimeInSeconds": 86400 if gpu else 3600},
                   "enableNetworkIsolation": True, "enableInterContainerTrafficEncryption": True,
                   "enableManagedSpotTraining": False}
            resp = {"trainingJobArn": f"arn:aws:sagemaker:{region}:{a.id}:training-job/{job}"}
        elif name == "CreateEndpoint":
            req = {"endpointName": ep, "endpointConfigName": f"{ep}-config-{hole('R_HEX8')}"}
            resp = {"endpointArn": f"arn:aws:sagemaker:{region}:{a.id}:endpoint/{ep}"}
        elif name == "CreateEndpointConfig":
            cfg = f"{ep}-config-{hole('R_HEX8')}"
            req = {"endpointConfigName": cfg, "productionVariants": [{
                "variantName": "AllTraffic", "modelName": f"{ep}-model", "initialInstanceCount": 2,
                "instanceType": r.choice(("ml.g5.xlarge", "ml.c6i.xlarge", "ml.inf2.xlarge")),
                "initialVariantWeight": 1.0}], "kmsKeyId": self.kms_arn()}
            resp = {"endpointConfigArn": f"arn:aws:sagemaker:{region}:{a.id}:endpoint-config/{cfg}"}
        elif name == "CreateModel":
            req = {"modelName": f"{ep}-model", "executionRoleArn": exec_role,
                   "primaryContainer": {"image": f"{a.id}.dkr.ecr.{region}.amazonaws.com/serve:1.4",
                                        "modelDataUrl": f"s3://{a.buckets[1]}/training-output/{job}/model.tar.gz"},
                   "enableNetworkIsolation": True}
            resp = {"modelArn": f"arn:aws:sagemaker:{region}:{a.id}:model/{ep}-model"}
        elif name == "DescribeTrainingJob":
            req, resp = {"trainingJobName": job}, None
        elif name == "DescribeEndpoint":
            req, resp = {"endpointName": ep}, None
        else:   # ListTrainingJobs, ListEndpoints
            req, resp = {"maxResults": 50, "sortBy": "CreationTime", "sortOrder": "Descending"}, None
        error = None
        if err:
            error = ("ValidationException", f"Could not find endpoint \"{ep}\".") if r.random() < 0.5 else \
                ("AccessDeniedException", denied(p, f"sagemaker:{name}", f"arn:aws:sagemaker:{region}:{a.id}:*")[1])
        return record(a, p, region, "sagemaker.amazonaws.com", name, req=req, resp=resp, error=error)

    # ---- Bedrock, Comprehend, Rekognition -------------------------------------
    def bedrock(self, name: str, p: Principal, *, err=False) -> dict:
        a, r = self.a, self.rng
        model = r.choice(BEDROCK_MODELS)
        req = {"modelId": model} if name != "ListFoundationModels" else {"byOutputModality": "TEXT"}
        error = None
        if err:
            error = ("AccessDeniedException", "You don't have access to the model with the specified model ID.") \
                if r.random() < 0.6 else ("ThrottlingException", "Too many requests, please wait before trying again.")
        return record(a, p, self.region, "bedrock.amazonaws.com", name, req=req, error=error)

    def comprehend(self, name: str, p: Principal, *, err=False) -> dict:
        req = {"text": "HIDDEN_DUE_TO_SECURITY_REASONS", "languageCode": "en"}
        if name == "DetectEntities":
            req["endpointArn"] = None
            del req["endpointArn"]
        error = ("TextSizeLimitExceededException", "Input text size exceeds limit. Max length of request text "
                 "allowed is 100000 bytes while in this request the text size is 131072 bytes") if err else None
        return record(self.a, p, self.region, "comprehend.amazonaws.com", name, req=req, error=error)

    def rekognition(self, name: str, p: Principal, *, err=False) -> dict:
        img = {"s3Object": {"bucket": self.a.buckets[5], "name": f"uploads/{hole('W_DAY')}/img-{hole('R_HEX8')}.jpg"}}
        if name == "SearchFacesByImage":
            req = {"collectionId": "staff-faces", "image": img, "maxFaces": 5, "faceMatchThreshold": 80.0}
        elif name == "DetectFaces":
            req = {"image": img, "attributes": ["DEFAULT"]}
        else:
            req = {"image": img, "maxLabels": 10, "minConfidence": 70.0}
        error = ("InvalidImageFormatException", "Request has invalid image format") if err else None
        return record(self.a, p, self.region, "rekognition.amazonaws.com", name, req=req, error=error)

    # ---- Console sign-in ------------------------------------------------------
    def console_login(self, name: str, p: Principal, *, err=False) -> dict:
        ui = dict(p.identity)
        ui.pop("sessionContext", None)
        ui["accessKeyId"] = ""
        mfa = not err and self.rng.random() < 0.8
        extra = {"LoginTo": "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_"
                            f"{self.region}", "MobileVersion": "No", "MFAUsed": "Yes" if mfa else "No"}
        if mfa:
            extra["MFAIdentifier"] = f"arn:aws:iam::{self.a.id}:mfa/{p.name}"
        c = Principal(p.kind, ui, p.ips, p.uas, p.tls, console=False, name=p.name)
        return record(self.a, c, "us-east-1", "signin.amazonaws.com", "ConsoleLogin", identity=ui,
                      resp={"ConsoleLogin": "Failure" if err else "Success"}, extra=extra,
                      error=(None, "Failed authentication") if err else None, request_id=False,
                      event_type="AwsConsoleSignIn", read_only=False, host="signin.aws.amazon.com")


# (family, event name, weight, who calls, error rate)
MIX = [
    ("s3", "GetObject", 26.0, "work", 0.02), ("s3", "PutObject", 7.0, "work", 0.01),
    ("s3", "HeadObject", 4.0, "work", 0.04), ("s3", "ListObjects", 3.0, "any", 0.02),
    ("s3", "DeleteObject", 0.8, "work", 0.02), ("s3", "GetBucketAcl", 0.4, "service", 0.0),
    ("s3", "GetBucketLocation", 0.5, "any", 0.0),
    ("kms", "Decrypt", 8.0, "work", 0.01), ("kms", "GenerateDataKey", 4.0, "work", 0.01),
    ("sts", "AssumeRole", 5.0, "service", 0.005), ("sts", "AssumeRole", 1.0, "human", 0.05),
    ("sts", "GetCallerIdentity", 2.0, "any", 0.0),
    ("ec2", "DescribeInstances", 3.0, "any", 0.02), ("ec2", "DescribeSecurityGroups", 1.0, "any", 0.0),
    ("ec2", "DescribeSubnets", 1.0, "any", 0.0), ("ec2", "DescribeVolumes", 0.8, "any", 0.0),
    ("ec2", "DescribeNetworkInterfaces", 1.2, "service", 0.0), ("ec2", "DescribeRegions", 0.5, "any", 0.0),
    ("ec2", "DescribeImages", 0.3, "human", 0.0), ("ec2", "RunInstances", 0.15, "human", 0.15),
    ("iam", "GetRole", 1.0, "any", 0.02), ("iam", "ListRoles", 0.5, "human", 0.05),
    ("iam", "GetUser", 0.4, "human", 0.02), ("iam", "ListAttachedRolePolicies", 0.5, "any", 0.02),
    ("iam", "ListAccessKeys", 0.2, "human", 0.05), ("iam", "GetPolicyVersion", 0.4, "any", 0.0),
    ("iam", "CreateAccessKey", 0.03, "human", 0.2), ("iam", "AttachRolePolicy", 0.03, "human", 0.2),
    ("iam", "PutRolePolicy", 0.02, "human", 0.2),
    ("sagemaker", "InvokeEndpoint", 5.0, "work", 0.01), ("sagemaker", "DescribeTrainingJob", 1.0, "any", 0.02),
    ("sagemaker", "DescribeEndpoint", 0.8, "any", 0.02), ("sagemaker", "ListTrainingJobs", 0.4, "human", 0.0),
    ("sagemaker", "ListEndpoints", 0.3, "human", 0.0), ("sagemaker", "CreateTrainingJob", 0.08, "work", 0.05),
    ("sagemaker", "CreateModel", 0.04, "human", 0.05), ("sagemaker", "CreateEndpointConfig", 0.04, "human", 0.05),
    ("sagemaker", "CreateEndpoint", 0.04, "human", 0.05),
    ("bedrock", "InvokeModel", 4.0, "work", 0.03), ("bedrock", "Converse", 1.2, "work", 0.03),
    ("bedrock", "ListFoundationModels", 0.1, "human", 0.0),
    ("comprehend", "DetectEntities", 0.6, "work", 0.02), ("comprehend", "DetectSentiment", 0.4, "work", 0.02),
    ("comprehend", "DetectPiiEntities", 0.3, "work", 0.02),
    ("rekognition", "DetectLabels", 0.6, "work", 0.02), ("rekognition", "DetectFaces", 0.3, "work", 0.02),
    ("rekognition", "SearchFacesByImage", 0.15, "work", 0.02),
    ("signin", "ConsoleLogin", 0.08, "console", 0.15),
]
VARIANTS_PER_WEIGHT = 6      # pool size of an event kind: about 6 templates per unit of weight (>= 4)


def compile_template(rec: dict) -> str:
    """JSON with holes -> a %-format string (%(R_T)s ...); number holes lose their quotes."""
    text = json.dumps(rec, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("%", "%%")
    text = text.replace('"\\u0001', "\x00").replace('\\u0002"', "\x00")
    text = text.replace("\\u0000", "\x00")
    parts = text.split("\x00")
    out = []
    for k, part in enumerate(parts):
        out.append(part if k % 2 == 0 else f"%({part})s")
    return "".join(out)


class TemplatePool:
    """Weighted templates of one account and region: (template, ua choices, ip choices)."""

    def __init__(self, acct: Account, region: str, seed: int):
        rng = random.Random(unit_seed(seed, "templates", acct.index, region))
        shapes = Shapes(acct, region, rng)
        pools = {"work": shapes.workloads, "human": shapes.humans, "any": shapes.callers,
                 "service": shapes.services + shapes.workloads,
                 "console": [(w, p) for w, p in shapes.humans if p.kind in ("IAMUser", "Root")]}
        # Region skew: ML runtime traffic sits in the home region, reads everywhere.
        home = region == acct.regions[0]
        self.templates: list[str] = []
        self.uas: list[list[str]] = []
        self.ips: list[list[str]] = []
        weights: list[float] = []
        for family, name, weight, who, err_rate in MIX:
            if family in ("iam", "signin") and not home:
                continue                         # global services log in us-east-1 (the home region here)
            n = max(4, int(weight * VARIANTS_PER_WEIGHT))
            for v in range(n):
                p = shapes.pick(pools[who])
                err = rng.random() < err_rate * 3 and v % 3 == 0   # a third of the variants carry the errors
                rec = getattr(shapes, "console_login" if family == "signin" else family)(name, p, err=err)
                tmpl = compile_template(rec)
                self.templates.append(tmpl)
                cmd = f"{family}.{name}".lower()
                self.uas.append([ua.replace("{cmd}", cmd) for ua in p.uas])
                self.ips.append(p.ips)
                weights.append(weight / n)
        total = sum(weights)
        self.cum = []
        acc = 0.0
        for w in weights:
            acc += w / total
            self.cum.append(acc)
        self.cum[-1] = 1.0


# --------------------------------------------------------------------------
# Writing CloudTrail files
# --------------------------------------------------------------------------

def hour_curve(hour: int) -> float:
    """Relative volume by UTC hour: a business-day bump over a steady base of batch jobs."""
    day = max(0.0, 1.0 - abs(hour - 14) / 8.0)
    return 0.45 + 1.1 * day


def account_weight(i: int) -> float:
    return 1.0 / (1 + i) ** 0.8


def region_weight(k: int) -> float:
    return [1.0, 0.35, 0.25, 0.15, 0.1][min(k, 4)]


def gz(data: bytes, level: int) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def ct_unit(args) -> dict:
    """All CloudTrail files of one (account, region, day)."""
    (seed, out, org, acct_index, region_index, regions, day, start, budget, level) = args
    acct = Account(seed, acct_index, org, regions)
    region = regions[region_index]
    pool = TemplatePool(acct, region, seed)
    rng = random.Random(unit_seed(seed, "ct", acct_index, region, day))
    ids = Ids(rng)
    getrandbits, rand, choices = rng.getrandbits, rng.random, rng.choice
    from bisect import bisect_left

    day0 = start + timedelta(days=day)
    curve = [hour_curve(h) for h in range(24)]
    curve_sum = sum(curve) * (3600 // WINDOW_S)
    b64 = base64.b64encode

    def uuid() -> str:
        h = "%032x" % getrandbits(128)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    ymd = day0.strftime("%Y-%m-%dT")
    day_secs = [f"{ymd}{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z" for s in range(86400)]
    prefix_acct = f"AWSLogs/{org + '/' if org else ''}{acct.id}/CloudTrail/{region}"
    stats = {"files": 0, "records": 0, "bytes": 0, "gz_bytes": 0, "max_gz": 0, "min_gz": 1 << 62,
             "max_records": 0, "file_gz_hist": [0] * 8}
    templates, uas_l, ips_l, cum = pool.templates, pool.uas, pool.ips, pool.cum
    day_str = day0.strftime("%Y-%m-%d")
    carry = 0.0
    for w in range(86400 // WINDOW_S):
        w_start = w * WINDOW_S
        target = budget * curve[w_start // 3600] / curve_sum * (0.8 + 0.4 * rand()) + carry
        t0 = day0 + timedelta(seconds=w_start)
        wconst = {"W_CD": iso(t0 - timedelta(seconds=600 + rng.randint(0, 3000))),
                  "W_EXP": java_date(t0 + timedelta(hours=1)), "W_DAY": day_str,
                  "W_JDATE": java_date(t0)}
        recs: list[str] = []
        size = 0
        while size < target:
            k = bisect_left(cum, rand())
            d = dict(wconst)
            d["R_T"] = day_secs[w_start + int(rand() * WINDOW_S)]
            d["R_IP"] = choices(ips_l[k])
            d["R_UA"] = choices(uas_l[k])
            d["R_UUID"] = uuid()
            d["R_UUID2"] = uuid()
            d["R_UUID3"] = uuid()
            d["R_S3ID"] = "%016X" % getrandbits(64)
            d["R_AMZ"] = b64(getrandbits(456).to_bytes(57, "little")).decode()
            d["R_HEX8"] = "%08x" % getrandbits(32)
            d["R_N4"] = "%05d" % (getrandbits(10) + int(rand() * 50))
            d["R_N6"] = str(1048575 + (getrandbits(3) << 20))
            d["R_LISTB"] = str(300 + getrandbits(14))
            d["R_BYTES"] = str(int(2000 + rand() * rand() * 30_000_000))
            d["R_SESSION"] = "botocore-session-%d" % (1764000000 + getrandbits(24))
            d["R_KEY16"] = ids.s(B32, 16) if rand() < 0.05 else "%016X" % getrandbits(64)
            d["R_TOKEN"] = "IQoJb3JpZ2luX2VjE" + b64(getrandbits(240).to_bytes(30, "little")).decode()
            rec = templates[k] % d
            recs.append(rec)
            size += len(rec) + 1
        carry = target - size
        if not recs:
            continue
        # Split into files; each is delivered 5-12 minutes after the window ends.
        pos = 0
        while pos < len(recs):
            n = rng.randint(*FILE_RECORDS)
            chunk = recs[pos:pos + n]
            pos += n
            rng.shuffle(chunk)
            body = ('{"Records":[' + ",".join(chunk) + "]}\n").encode()
            delivered = t0 + timedelta(seconds=WINDOW_S + rng.randint(300, 720))
            folder = delivered.strftime("%Y/%m/%d")
            stamp = delivered.strftime("%Y%m%dT%H%MZ")
            name = f"{acct.id}_CloudTrail_{region}_{stamp}_{ids.s(ALNUM, 16)}.json.gz"
            path = Path(out) / prefix_acct / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            raw = gz(body, level)
            path.write_bytes(raw)
            stats["files"] += 1
            stats["records"] += len(chunk)
            stats["bytes"] += len(body)
            stats["gz_bytes"] += len(raw)
            stats["max_gz"] = max(stats["max_gz"], len(raw))
            stats["min_gz"] = min(stats["min_gz"], len(raw))
            stats["max_records"] = max(stats["max_records"], len(chunk))
            stats["file_gz_hist"][min(7, max(0, len(raw).bit_length() - 13))] += 1   # <8K,16K,..,>=512K
    return stats


# --------------------------------------------------------------------------
# S3 server access logs
# --------------------------------------------------------------------------

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
ACCESS_OPS = [  # (operation, method, weight, status/error)
    ("REST.GET.OBJECT", "GET", 40, None), ("REST.PUT.OBJECT", "PUT", 12, None),
    ("REST.HEAD.OBJECT", "HEAD", 12, None), ("REST.GET.BUCKET", "GET", 6, None),
    ("REST.GET.OBJECT", "GET", 2, (404, "NoSuchKey")), ("REST.GET.OBJECT", "GET", 1.5, (403, "AccessDenied")),
    ("REST.HEAD.OBJECT", "HEAD", 2, (404, "NoSuchKey")), ("REST.DELETE.OBJECT", "DELETE", 1.5, None),
    ("REST.POST.UPLOADS", "POST", 0.8, None), ("REST.PUT.PART", "PUT", 3, None),
    ("REST.POST.UPLOAD", "POST", 0.8, None), ("REST.GET.ACL", "GET", 0.4, None),
    ("REST.GET.LOCATION", "GET", 0.5, None), ("S3.EXPIRE.OBJECT", None, 0.6, None),
    ("BATCH.DELETE.OBJECT", None, 0.4, None),
]


def access_unit(args) -> dict:
    """All access-log objects of one (account, bucket, day)."""
    (seed, out, org, acct_index, bucket_index, regions, day, start, budget) = args
    acct = Account(seed, acct_index, org, regions)
    bucket = acct.buckets[bucket_index]
    region = regions[0]
    rng = random.Random(unit_seed(seed, "s3access", acct_index, bucket, day))
    ids = Ids(rng)
    getrandbits, rand, choice = rng.getrandbits, rng.random, rng.choice
    owner = "%064x" % random.Random(unit_seed(seed, "owner", acct_index)).getrandbits(256)
    requesters = []
    for _, p in acct.principals:
        if p.kind in ("IAMUser", "AssumedRole") and not p.service:
            requesters.append((p.identity["arn"], p.ips, [u.replace("{cmd}", "s3api.get-object") for u in p.uas], p.tls))
    requesters.append(("-", ["198.51.100.77", "192.0.2.200"], ["python-requests/2.32.3", "curl/8.5.0"], TLS12))
    ops = [o for o in ACCESS_OPS]
    cum, acc = [], 0.0
    total = sum(o[2] for o in ops)
    for o in ops:
        acc += o[2] / total
        cum.append(acc)
    cum[-1] = 1.0
    from bisect import bisect_left
    prefixes = ["datasets/clickstream/dt=", "features/v3/dt=", "raw/events/year%3D2026/dt=", "checkpoints/run-"]
    day0 = start + timedelta(days=day)
    dmy = f"[{day0.day:02d}/{MONTHS[day0.month - 1]}/{day0.year}:"
    times = [f"{dmy}{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d} +0000]" for s in range(86400)]
    b64 = base64.b64encode
    stats = {"files": 0, "lines": 0, "bytes": 0}
    day_str = day0.strftime("%Y-%m-%d")
    t = 0
    per_s = budget / 86400
    curve_mean = sum(hour_curve(h) for h in range(24)) / 24
    while t < 86400:
        span = rng.randint(*ACCESS_OBJECT_S)
        end = min(86400, t + span)
        target = per_s * (end - t) * hour_curve(t // 3600) / curve_mean
        lines = []
        size = 0
        while size < target:
            s = t + int(rand() * (end - t))
            k = bisect_left(cum, rand())
            op, method, _, err = ops[k]
            req_arn, ips, uas, tls = choice(requesters) if not op.startswith(("S3.", "BATCH.")) else \
                ("AmazonS3", ["-"], ["-"], ("-", "-"))
            if req_arn == "-" and err is None and op != "REST.GET.OBJECT":
                err = (403, "AccessDenied")
            pre = choice(prefixes)
            key = f"{pre}{day_str}/part-{getrandbits(10):05d}-{getrandbits(32):08x}.parquet"
            if err:
                status, code = err
            elif op == "REST.GET.OBJECT":
                status, code = (206 if rand() < 0.2 else 200), "-"
            else:
                status, code = (204 if method == "DELETE" else 200), "-"
            size_obj = int(2000 + rand() * rand() * 30_000_000)
            sent = str(size_obj) if op == "REST.GET.OBJECT" and code == "-" else "-"
            if code != "-":
                sent = str(243 + getrandbits(6))
            total_ms = 3 + getrandbits(7)
            if op == "REST.GET.BUCKET":
                uri = f'"GET /{bucket}?list-type=2&prefix={pre.replace("=", "%3D")}{day_str}%2F&encoding-type=url HTTP/1.1"'
                sent, key = str(900 + getrandbits(14)), "-"
            elif method:
                uri = f'"{method} /{bucket}/{key}{"?uploads" if op == "REST.POST.UPLOADS" else ""} HTTP/1.1"'
            else:
                uri = "-"
            host_id = b64(getrandbits(456).to_bytes(57, "little")).decode()
            line = " ".join((
                owner, bucket, times[s], choice(ips), req_arn if req_arn != "AmazonS3" else "AmazonS3",
                "%016X" % getrandbits(64), op, key, uri, str(status), code,
                sent, str(size_obj) if key != "-" and method != "DELETE" and code == "-" else "-",
                str(total_ms), str(max(1, total_ms - getrandbits(3))), '"-"',
                f'"{choice(uas)}"' if uas[0] != "-" else '"-"', "-", host_id,
                "SigV4" if method else "-", tls[1] if method else "-", "AuthHeader" if method else "-",
                f"{bucket}.s3.{region}.amazonaws.com" if method else "-", tls[0] if method else "-", "-", "-",
                region if method else "-"))
            lines.append(line)
            size += len(line) + 1
        if lines:
            lines.sort(key=lambda ln: ln[len(owner) + len(bucket) + 2:len(owner) + len(bucket) + 30])
            body = ("\n".join(lines) + "\n").encode()
            delivered = day0 + timedelta(seconds=end + rng.randint(90, 1500))
            name = f"{delivered.strftime('%Y-%m-%d-%H-%M-%S')}-{ids.s(UPPER_HEX, 16)}"
            path = Path(out) / "s3-access-logs" / bucket / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
            stats["files"] += 1
            stats["lines"] += len(lines)
            stats["bytes"] += len(body)
        t = end
    return stats


# --------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--size", default="1GB", type=parse_size,
                    help="uncompressed bytes of JSON + access-log text (default 1GB)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--start", default="2026-11-24", help="first day (UTC), default 2026-11-24")
    ap.add_argument("--accounts", type=int, default=4)
    ap.add_argument("--regions", default=DEFAULT_REGIONS, help=f"comma-separated; first is home (default {DEFAULT_REGIONS})")
    ap.add_argument("--org", default=None, help="organisation id: AWSLogs/<org>/<account>/... (default: none)")
    ap.add_argument("--access-share", type=float, default=0.08, help="share of --size in access logs (default 0.08)")
    ap.add_argument("--gzip-level", type=int, default=9, help="zlib level (default 9: what CloudTrail's files match)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    regions = [r for r in args.regions.split(",") if r]
    start = datetime.strptime(args.start, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    for sub in ("AWSLogs", "s3-access-logs"):
        shutil.rmtree(args.out / sub, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)

    ct_total = args.size * (1 - args.access_share)
    aw = [account_weight(i) for i in range(args.accounts)]
    rw = [region_weight(k) for k in range(len(regions))]
    wsum = sum(aw) * sum(rw) * args.days
    units = []
    for i in range(args.accounts):
        for k in range(len(regions)):
            for day in range(args.days):
                budget = ct_total * aw[i] * rw[k] / wsum
                units.append((args.seed, str(args.out), args.org, i, k, regions, day, start, budget, args.gzip_level))
    units.sort(key=lambda u: -u[8])            # biggest first: better packing across processes
    acc_units = []
    acc_total = args.size * args.access_share
    buckets = (0, 1, 2)                         # training-data, models, feature-store have access logging
    bw = sum(aw) * len(buckets) * args.days
    for i in range(args.accounts):
        for b in buckets:
            for day in range(args.days):
                acc_units.append((args.seed, str(args.out), args.org, i, b, regions, day, start, acc_total * aw[i] / bw))

    t0 = time.time()
    ct = {"files": 0, "records": 0, "bytes": 0, "gz_bytes": 0, "max_gz": 0, "min_gz": 1 << 62, "max_records": 0,
          "file_gz_hist": [0] * 8}
    sa = {"files": 0, "lines": 0, "bytes": 0}
    done = 0
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        jobs = [pool.apply_async(ct_unit, (u,)) for u in units] + [pool.apply_async(access_unit, (u,)) for u in acc_units]
        for j in jobs:
            s = j.get()
            done += 1
            if "records" in s:
                for key in ("files", "records", "bytes", "gz_bytes"):
                    ct[key] += s[key]
                ct["max_gz"] = max(ct["max_gz"], s["max_gz"])
                ct["min_gz"] = min(ct["min_gz"], s["min_gz"])
                ct["max_records"] = max(ct["max_records"], s["max_records"])
                ct["file_gz_hist"] = [a + b for a, b in zip(ct["file_gz_hist"], s["file_gz_hist"])]
            else:
                for key in sa:
                    sa[key] += s[key]
            if sys.stderr.isatty():
                mb = (ct["bytes"] + sa["bytes"]) / 1e6
                print(f"\r{done}/{len(jobs)} units, {mb:,.0f} MB", end="", file=sys.stderr)
    secs = time.time() - t0
    if sys.stderr.isatty():
        print(file=sys.stderr)
    summary = {
        "generator": "scripts/gen-trail.py", "seed": args.seed, "size": args.size, "days": args.days,
        "start": args.start, "end": (start + timedelta(days=args.days - 1)).strftime("%Y-%m-%d"),
        "accounts": args.accounts, "regions": regions, "org": args.org, "gzip_level": args.gzip_level,
        "cloudtrail": ct, "s3_access": sa,
        "total_bytes": ct["bytes"] + sa["bytes"], "total_records": ct["records"] + sa["lines"],
        "total_objects": ct["files"] + sa["files"], "seconds": round(secs, 1),
    }
    (args.out / "_gen.json").write_text(json.dumps(summary, indent=2) + "\n")
    if ct["files"] == 0:
        ct["min_gz"] = 0
    print(f"{args.out}: {ct['files']:,} CloudTrail files, {ct['records']:,} records, "
          f"{ct['bytes'] / 1e6:,.1f} MB JSON, {ct['gz_bytes'] / 1e6:,.1f} MB gzip "
          f"(x{ct['bytes'] / max(1, ct['gz_bytes']):.1f}; files {ct['min_gz'] / 1e3:,.1f}-{ct['max_gz'] / 1e3:,.0f} KB, "
          f"up to {ct['max_records']:,} records, {ct['bytes'] / max(1, ct['records']):,.0f} B/record); "
          f"{sa['files']:,} access-log objects, {sa['lines']:,} lines, {sa['bytes'] / 1e6:,.1f} MB; "
          f"{secs:.1f} s with {args.jobs} processes")


if __name__ == "__main__":
    main()
