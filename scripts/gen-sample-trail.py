#!/usr/bin/env python3
"""Generate trailhound's sample CloudTrail trail (testdata/sample-trail/).

What it writes (all synthetic, no real identifiers):

* Three days (2026-11-24 .. 2026-11-26 UTC) of an organization trail for three
  accounts (111122223333 prod-ml, 444455556666 data, 777788889999 sandbox) in
  us-east-1 (most activity), eu-west-1 and us-west-2, laid out as
  DIR/AWSLogs/o-sample1234/<account>/CloudTrail/<region>/YYYY/MM/DD/
  <account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<16 chars>.json.gz
  One file per account/region/5-minute window with activity, delivered 5-15
  minutes after its newest event (the folder date is the delivery date, so some
  events of 2026-11-25 23:5x sit under 2026/11/26). Each file is one gzip
  member holding minified {"Records":[...]} plus "\n"; records are not sorted
  and keys follow the order real CloudTrail writes.
* Background noise (sts, s3, ec2, iam, kms, logs, sagemaker List/Describe,
  cloudtrail LookupEvents, bedrock InvokeModel by an app, ...) and the AI/ML and
  compromised-credential scenarios that trailhound's detections must find.
  They are listed in DIR/_expected.json and printed at the end.
* One digest file (CloudTrail-Digest, hashes over the real decompressed log
  files, placeholder signature fields) and one Insights file
  (CloudTrail-Insight, an ApiErrorRateInsight Start/End pair).
* S3 server access logs (formats.md section 3) of two source buckets under
  DIR/s3-access-logs/, in both key layouts S3 uses:
  - simple/acme-ml-models/YYYY-MM-DD-hh-mm-ss-<16 upper hex>: SimplePrefix,
    one plain-text object (no extension) per hour of requests, named by its
    delivery time 1.5-25 minutes after that hour ends (bucket owned by prod-ml);
  - partitioned/444455556666/us-east-1/acme-ml-training-data/YYYY/MM/DD/
    YYYY-MM-DD-00-00-00-<16 upper hex>: PartitionedPrefix with EventTime, one
    object per day of requests (bucket owned by data). The 2026-11-26 object
    was gzip-compressed after delivery and carries ".gz" (gzip sniffing).
  One request per "\n"-terminated line, single spaces, "-" when missing, the
  time as [25/Nov/2026:02:18:32 +0000], Request-URI, Referer and User-Agent in
  double quotes (BATCH.DELETE.OBJECT and REST.COPY.OBJECT_GET: bare -), keys
  URL-encoded (%20, %3D). Most lines have 26 fields, some the older 24 (up to
  TLS version), some 27 (+ source Region). Every S3 record of the trail on the
  two buckets (the 300 + 40 GetObject of the exfiltration scenario included)
  has a line with the same time, request ID, x-amz-id-2, IP, requester, user
  agent and TLS details; the rest is access-log-only noise: SageMaker training
  jobs (list, 206 ranged and full reads of a dt= partition, PUTs of outputs),
  HEADs with 404 NoSuchKey, lifecycle S3.EXPIRE.OBJECT, multi-object deletes,
  anonymous scanners (403), a denied cross-account listing, a presigned-URL
  GET (QueryString), a server-side copy, and four quoting edge cases (a `"` in
  the Request-URI, user agents with inner / trailing `"`, a long Referer) in
  the acme-ml-models objects. DIR/_expected.json lists the counts under
  "s3_access" and the edge-case lines under "s3_access_edge_cases".

The output is seeded and deterministic: the same --seed and --scale give
byte-identical files (random.Random(seed), gzip mtime 0, ordered iteration).
The access logs draw from a second random.Random seeded from --seed, so the
CloudTrail files do not depend on them.
--scale K multiplies the background volume; the scenarios stay the same.

Regenerate (from the repository root, standard library only):
    python3 scripts/gen-sample-trail.py                # seed 7, scale 1
    python3 scripts/gen-sample-trail.py --out DIR --seed N --scale K
It deletes and recreates DIR/AWSLogs and DIR/s3-access-logs and rewrites
DIR/_expected.json.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import random
import shutil
import string
import urllib.parse
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

# --------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------

ORG_ID = "o-sample1234"
TRAIL_NAME = "sample-trail"
TRAIL_BUCKET = "acme-org-cloudtrail-sample"
PROD, DATA, SANDBOX = "111122223333", "444455556666", "777788889999"
ACCOUNTS = {PROD: "prod-ml", DATA: "data", SANDBOX: "sandbox"}
USE1, EUW1, USW2 = "us-east-1", "eu-west-1", "us-west-2"
REGIONS = (USE1, EUW1, USW2)
DAY0 = datetime(2026, 11, 24, tzinfo=timezone.utc)
NUM_DAYS = 3
# No event after this, so every delivery lands inside the three day folders.
LAST_EVENT = DAY0 + timedelta(days=NUM_DAYS) - timedelta(minutes=16)

TRAINING_BUCKET = "acme-ml-training-data"
MODELS_BUCKET = "acme-ml-models"
RESTRICTED_MODEL = "anthropic.claude-3-opus-20240229-v1:0"

EVENT_VERSION = {
    "sts": "1.08", "s3": "1.10", "iam": "1.09", "ec2": "1.10", "kms": "1.08",
    "logs": "1.08", "sagemaker": "1.11", "bedrock": "1.10", "cloudtrail": "1.09",
    "signin": "1.09", "comprehend": "1.09", "rekognition": "1.09", "athena": "1.09",
    "secretsmanager": "1.08", "lambda": "1.08", "ce": "1.08", "glue": "1.09",
}
READ_PREFIXES = ("Get", "List", "Describe", "Lookup", "Detect", "Contains", "Search",
                 "Head", "Check", "Invoke", "Converse", "Decrypt", "GenerateDataKey",
                 "AssumeRole")
BEDROCK_RUNTIME_OPS = {"InvokeModel", "InvokeModelWithResponseStream", "Converse",
                       "ConverseStream"}

UA_CLI = ("aws-cli/2.22.35 md/awscrt#0.23.8 ua/2.0 os/linux#6.8.0-1019-aws md/arch#x86_64 "
          "lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe "
          "md/distrib#ubuntu.24 md/prompt#off md/command#{cmd}")
UA_CLI_MAC = ("aws-cli/2.21.2 md/awscrt#0.22.0 ua/2.0 os/macos#24.1.0 md/arch#arm64 "
              "lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source "
              "md/prompt#off md/command#{cmd}")
UA_CLI_WIN = ("aws-cli/2.15.10 md/awscrt#0.19.19 ua/2.0 os/windows#10 md/arch#amd64 "
              "lang/python#3.11.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe "
              "md/prompt#off md/command#{cmd}")
UA_BOTO3 = ("Boto3/1.35.76 md/Botocore#1.35.76 ua/2.0 os/linux#5.10.228-219.884.amzn2.x86_64 "
            "md/arch#x86_64 lang/python#3.11.10 md/pyimpl#CPython cfg/retry-mode#legacy "
            "Botocore/1.35.76")
UA_BOTO3_WIN = ("Boto3/1.34.11 md/Botocore#1.34.11 ua/2.0 os/windows#10 md/arch#amd64 "
                "lang/python#3.11.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.11")
UA_TERRAFORM = ("APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) "
                "terraform-provider-aws/5.78.0 (+https://registry.terraform.io/providers/hashicorp/aws) "
                "aws-sdk-go-v2/1.32.5 ua/2.1 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64")
UA_CHROME = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
             "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
UA_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0"
UA_S3_CONSOLE = ("[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.779 "
                 "Linux/5.10.228-198.884.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.432-b06 "
                 "java/1.8.0_432 vendor/Oracle_Corporation cfg/retry-mode/standard]")
UA_LAMBDA_JS = ("aws-sdk-js/3.693.0 ua/2.1 os/linux#5.10.227-239.884.amzn2.x86_64 lang/js "
                "md/nodejs#20.18.0 api/bedrock-runtime#3.693.0 exec-env/AWS_Lambda_nodejs20.x m/E,e")
UA_LAMBDA_WORKER = "awslambda-worker/1.0 rusoto/0.48.0 rust/1.80.1 linux"
UA_INTERNAL = "AWS Internal"

LOGIN_URL = "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
ALNUM_UPPER = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def java_date(t: datetime) -> str:
    """The Java-style date CloudTrail uses inside responseElements."""
    hour = t.hour % 12 or 12
    return f"{t:%b} {t.day}, {t.year}, {hour}:{t:%M:%S} {'AM' if t.hour < 12 else 'PM'}"


def at(day: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return DAY0 + timedelta(days=day, hours=hh, minutes=mm, seconds=ss)


def is_service_ip(ip: str) -> bool:
    return ip == UA_INTERNAL or ip.endswith(".amazonaws.com")


def default_host(svc: str, region: str, name: str) -> str:
    if svc == "iam":
        return "iam.amazonaws.com"
    if svc == "signin":
        return "signin.aws.amazon.com"
    if svc == "sts":
        return "sts.amazonaws.com" if region == USE1 else f"sts.{region}.amazonaws.com"
    if svc == "sagemaker":
        return f"api.sagemaker.{region}.amazonaws.com"
    if svc == "bedrock" and name in BEDROCK_RUNTIME_OPS:
        return f"bedrock-runtime.{region}.amazonaws.com"
    return f"{svc}.{region}.amazonaws.com"


# --------------------------------------------------------------------------
# Principals and events
# --------------------------------------------------------------------------

@dataclass
class Principal:
    kind: str                  # IAMUser, AssumedRole, Root, AWSService, ServiceEvent
    account: str
    name: str                  # user name, role name, or service host name
    ip: str = ""
    ua: str = ""
    session: str = ""          # role session name (AssumedRole)
    path: str = ""             # role path, e.g. "aws-reserved/sso.amazonaws.com/"
    principal_id: str = ""     # AIDA... (user) or AROA... (role)
    access_key: str = ""       # AKIA... long-term key (IAMUser)
    console: bool = False      # console session: ASIA key, sessionCredentialFromConsole
    mfa: bool = False
    ec2_delivery: str | None = None
    invoked_by: str | None = None
    tls12: bool = False

    @property
    def arn(self) -> str:
        if self.kind == "IAMUser":
            return f"arn:aws:iam::{self.account}:user/{self.name}"
        if self.kind == "AssumedRole":
            return f"arn:aws:sts::{self.account}:assumed-role/{self.name}/{self.session}"
        if self.kind == "Root":
            return f"arn:aws:iam::{self.account}:root"
        return ""

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role/{self.path}{self.name}"


@dataclass
class Event:
    time: datetime
    account: str
    region: str
    record: dict
    scenario: str | None


@dataclass
class LogFile:
    key: str
    account: str
    region: str
    delivered: datetime
    records: int
    raw_bytes: int
    gz_bytes: int
    sha256: str
    oldest: datetime
    newest: datetime
    scenarios: tuple


class SampleTrail:
    """Builds the events in memory, then writes them out as CloudTrail files."""

    def __init__(self, seed: int, scale: int):
        self.seed = seed
        self.rng = random.Random(seed)
        self.scale = scale
        self.events: list[Event] = []
        self.role_ids: dict[tuple, str] = {}
        self.sessions: dict[tuple, tuple] = {}
        self.meta: dict[str, dict] = {}    # scenario name -> description for _expected.json
        self.kms_keys = {acct: str(self.uuid()) for acct in sorted(ACCOUNTS)}
        self._principals()

    # ---- random identifiers ------------------------------------------------

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def ident(self, prefix: str, n: int = 16, alphabet: str = B32) -> str:
        return prefix + "".join(self.rng.choice(alphabet) for _ in range(n))

    def hexstr(self, nchars: int) -> str:
        return f"{self.rng.getrandbits(nchars * 4):0{nchars}x}"

    def s3_request_id(self) -> str:
        return self.ident("", 16, ALNUM_UPPER)

    def amz_id_2(self) -> str:
        return base64.b64encode(self.rng.randbytes(56)).decode()

    def session_token(self) -> str:
        return "IQoJb3JpZ2luX2VjE" + base64.b64encode(self.rng.randbytes(240)).decode()

    def jitter(self, t: datetime, lo: int = 1, hi: int = 20) -> datetime:
        return t + timedelta(seconds=self.rng.randint(lo, hi))

    # ---- principals ----------------------------------------------------------

    def user(self, account, name, ip, ua, **kw) -> Principal:
        return Principal("IAMUser", account, name, ip, ua, principal_id=self.ident("AIDA", 17),
                         access_key=self.ident("AKIA"), **kw)

    def role(self, account, name, session, ip, ua, path="", **kw) -> Principal:
        key = (account, path, name)
        if key not in self.role_ids:
            self.role_ids[key] = self.ident("AROA", 17)
        return Principal("AssumedRole", account, name, ip, ua, session=session, path=path,
                         principal_id=self.role_ids[key], **kw)

    def _principals(self) -> None:
        sso = "aws-reserved/sso.amazonaws.com/"
        # prod-ml
        self.pipeline = self.role(PROD, "ml-pipeline-role", "i-0a4f2c9e71b3d5e68", "198.51.100.40",
                                  UA_BOTO3, ec2_delivery="2.0")
        self.sm_exec = self.role(PROD, "SageMakerExecutionRole", "SageMaker", "sagemaker.amazonaws.com",
                                 "sagemaker.amazonaws.com", path="service-role/",
                                 invoked_by="sagemaker.amazonaws.com")
        self.sm_notebook = self.role(PROD, "SageMakerExecutionRole", "SageMaker", "198.51.100.60",
                                     UA_BOTO3.replace("cfg/retry-mode#legacy", "cfg/retry-mode#standard md/sagemaker-notebook"),
                                     path="service-role/")
        self.jane = self.role(PROD, "AWSReservedSSO_DataScientist_5f2c8e1a9b3d7c40", "jane.doe@example.com",
                              "192.0.2.14", UA_CHROME, path=sso + "us-east-1/", console=True)
        self.genai = self.role(PROD, "genai-app-role", "genai-chat-api", "198.51.100.150", UA_LAMBDA_JS)
        self.ci = self.user(PROD, "ci-deployer", "198.51.100.41", UA_TERRAFORM, tls12=True)
        self.terraform = self.role(PROD, "TerraformDeployRole", "terraform-ci", "198.51.100.41",
                                   UA_TERRAFORM, tls12=True)
        self.mlops = self.role(PROD, "MLOpsDeployRole", "gitlab-runner-7", "198.51.100.43", UA_BOTO3)
        self.reporting = self.user(PROD, "svc-reporting", "192.0.2.50", UA_BOTO3)
        self.mark = self.user(PROD, "mark.ops", "192.0.2.25", UA_CHROME, console=True, mfa=True)
        self.mark_attacker = Principal(**{**self.mark.__dict__, "ip": "203.0.113.66",
                                          "ua": UA_FIREFOX, "mfa": False})
        self.llm_batch = self.user(PROD, "svc-llm-batch", "203.0.113.99", UA_BOTO3_WIN)
        self.config_prod = self.role(PROD, "AWSServiceRoleForConfig", "ConfigResourceCompositionSession",
                                     "config.amazonaws.com", "config.amazonaws.com",
                                     path="aws-service-role/config.amazonaws.com/",
                                     invoked_by="config.amazonaws.com")
        # data
        self.etl = self.user(DATA, "etl-svc", "198.51.100.42", UA_BOTO3, tls12=True)
        self.bob = self.role(DATA, "AWSReservedSSO_DataEngineer_0d6b3f8a2c1e9d57", "bob.smith@example.com",
                             "192.0.2.15", UA_CHROME, path=sso + "us-east-1/", console=True)
        self.ingest = self.role(DATA, "ingest-lambda-role", "ingest-fn", "198.51.100.160", UA_LAMBDA_WORKER)
        self.model_sync = self.role(DATA, "model-registry-sync-role", "model-sync", "198.51.100.161",
                                    UA_BOTO3)
        self.dave = self.role(DATA, "AWSReservedSSO_MarketingAnalyst_7a1c4e2b9f0d3e68", "dave.lee@example.com",
                              "192.0.2.77", UA_CLI_MAC, path=sso + "us-east-1/")
        self.config_data = self.role(DATA, "AWSServiceRoleForConfig", "ConfigResourceCompositionSession",
                                     "config.amazonaws.com", "config.amazonaws.com",
                                     path="aws-service-role/config.amazonaws.com/",
                                     invoked_by="config.amazonaws.com")
        # sandbox
        self.dev = self.user(SANDBOX, "dev-sandbox-user", "192.0.2.30", UA_CLI)
        self.root_sandbox = Principal("Root", SANDBOX, "root", "192.0.2.99", UA_CHROME,
                                      principal_id=SANDBOX, console=True, mfa=True)

    def session(self, p: Principal, t: datetime, since: datetime | None) -> tuple:
        """(creationDate, ASIA key) of the temporary credentials p uses at t."""
        if since is None:   # role credentials refreshed every hour
            since_key = t.replace(minute=0, second=0)
        else:
            since_key = since
        key = (p.account, p.path, p.name, p.session, since_key)
        if key not in self.sessions:
            created = since if since is not None else since_key - timedelta(seconds=self.rng.randint(30, 900))
            self.sessions[key] = (created, self.ident("ASIA"))
        return self.sessions[key]

    def identity(self, p: Principal, t: datetime, since: datetime | None) -> dict:
        if p.kind == "AWSService":
            return {"type": "AWSService", "invokedBy": p.name}
        if p.kind == "ServiceEvent":      # AwsServiceEvent: no type key at all
            return {"accountId": p.account, "invokedBy": p.name}
        mfa = "true" if p.mfa else "false"
        if p.kind == "IAMUser":
            ui = {"type": "IAMUser", "principalId": p.principal_id, "arn": p.arn, "accountId": p.account}
            if p.console:
                created, key = self.session(p, t, since)
                ui.update(accessKeyId=key, userName=p.name, sessionContext={
                    "sessionIssuer": {}, "webIdFederationData": {},
                    "attributes": {"creationDate": iso(created), "mfaAuthenticated": mfa}})
            else:
                ui.update(accessKeyId=p.access_key, userName=p.name)
        elif p.kind == "Root":
            created, key = self.session(p, t, since)
            ui = {"type": "Root", "principalId": p.account, "arn": p.arn, "accountId": p.account,
                  "accessKeyId": key, "sessionContext": {
                      "sessionIssuer": {}, "webIdFederationData": {},
                      "attributes": {"creationDate": iso(created), "mfaAuthenticated": mfa}}}
        else:
            created, key = self.session(p, t, since)
            context = {"sessionIssuer": {"type": "Role", "principalId": p.principal_id,
                                         "arn": p.role_arn, "accountId": p.account, "userName": p.name},
                       "webIdFederationData": {},
                       "attributes": {"creationDate": iso(created), "mfaAuthenticated": mfa}}
            if p.ec2_delivery:
                context["ec2RoleDelivery"] = p.ec2_delivery
            ui = {"type": "AssumedRole", "principalId": f"{p.principal_id}:{p.session}", "arn": p.arn,
                  "accountId": p.account, "accessKeyId": key, "sessionContext": context}
        if p.invoked_by:
            ui["invokedBy"] = p.invoked_by
        return ui

    # ---- the one record builder ------------------------------------------------

    def emit(self, t: datetime, p: Principal, source: str, name: str, *, region: str = USE1,
             req=None, resp=None, error: tuple | None = None, extra=None, resources=None,
             read_only: bool | None = None, event_type: str = "AwsApiCall",
             category: str = "Management", host: str | None = None, ip: str | None = None,
             ua: str | None = None, request_id: str | None | bool = None,
             since: datetime | None = None, shared: bool = False, service_details=None,
             vpce: str | None = None, identity: dict | None = None, console: bool | None = None,
             scenario: str | None = None) -> dict:
        """Append one record, keys in the order real CloudTrail writes them."""
        assert DAY0 <= t <= LAST_EVENT, t
        svc = source.split(".")[0]
        ip = ip or p.ip
        rec = {
            "eventVersion": EVENT_VERSION.get(svc, "1.08"),
            "userIdentity": identity if identity is not None else self.identity(p, t, since),
            "eventTime": iso(t),
            "eventSource": source,
            "eventName": name,
            "awsRegion": region,
            "sourceIPAddress": ip,
            "userAgent": ua or p.ua,
        }
        if error:
            code, message = error
            if code:
                rec["errorCode"] = code
            rec["errorMessage"] = message
        rec["requestParameters"] = req
        rec["responseElements"] = resp
        if extra is not None:
            rec["additionalEventData"] = extra
        if request_id is not False:
            rec["requestID"] = request_id or self.uuid()
        rec["eventID"] = self.uuid()
        rec["readOnly"] = name.startswith(READ_PREFIXES) if read_only is None else read_only
        if resources:
            rec["resources"] = resources
        rec["eventType"] = event_type
        rec["managementEvent"] = category != "Data"
        rec["recipientAccountId"] = p.account
        if shared:
            rec["sharedEventID"] = self.uuid()
        if service_details is not None:
            rec["serviceEventDetails"] = service_details
        if vpce:
            rec["vpcEndpointId"] = vpce
        rec["eventCategory"] = category
        if not is_service_ip(ip):
            version, cipher = ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256") if p.tls12 else \
                ("TLSv1.3", "TLS_AES_128_GCM_SHA256")
            rec["tlsDetails"] = {"tlsVersion": version, "cipherSuite": cipher,
                                 "clientProvidedHostHeader": host or default_host(svc, region, name)}
        if (p.console if console is None else console):
            rec["sessionCredentialFromConsole"] = "true"
        self.events.append(Event(t, p.account, region, rec, scenario))
        return rec

    # ---- helpers for event families -------------------------------------------

    def kms_arn(self, account: str, region: str = USE1) -> str:
        return f"arn:aws:kms:{region}:{account}:key/{self.kms_keys[account]}"

    def kms(self, t, p, name, *, region=USE1, context=None, **kw):
        req = {"keyId": self.kms_arn(p.account, region), "encryptionAlgorithm": "SYMMETRIC_DEFAULT"} \
            if name == "Decrypt" else {"keyId": self.kms_arn(p.account, region), "keySpec": "AES_256"}
        if context:
            req["encryptionContext"] = context
        res = [{"accountId": p.account, "type": "AWS::KMS::Key", "ARN": self.kms_arn(p.account, region)}]
        return self.emit(t, p, "kms.amazonaws.com", name, region=region, req=req, resources=res, **kw)

    def s3(self, t, p, name, bucket=None, key=None, *, region=USE1, data=False, req_extra=None,
           bytes_out=0, bytes_in=0, resp=None, error=None, prefix=None, **kw):
        """An S3 management or data event with S3's additionalEventData."""
        host = f"{bucket}.s3.{region}.amazonaws.com" if bucket else "s3.amazonaws.com"
        req = {"bucketName": bucket, "Host": host} if bucket else {"Host": host}
        if req_extra:
            req.update(req_extra)
        if key:
            req["key"] = key
        cipher = "ECDHE-RSA-AES128-GCM-SHA256" if p.tls12 else "TLS_AES_128_GCM_SHA256"
        extra = {"SignatureVersion": "SigV4", "CipherSuite": cipher, "bytesTransferredIn": bytes_in,
                 "AuthenticationMethod": "AuthHeader", "x-amz-id-2": self.amz_id_2(),
                 "bytesTransferredOut": bytes_out}
        res = None
        if bucket:
            bucket_res = {"accountId": p.account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}
            if key:
                res = [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"}, bucket_res]
            elif prefix is not None:
                res = [{"type": "AWS::S3::Object", "ARNPrefix": f"arn:aws:s3:::{bucket}/{prefix}"}, bucket_res]
            else:
                res = [bucket_res]
        return self.emit(t, p, "s3.amazonaws.com", name, region=region, req=req, resp=resp, error=error,
                         extra=extra, resources=res, category="Data" if data else "Management",
                         host=host, request_id=self.s3_request_id(), **kw)

    def assume_role(self, t, caller: Principal, target: Principal, *, region=USE1, scenario=None):
        """sts AssumeRole by caller; target's later calls pass since=t to reuse the key."""
        created, key = self.session(target, t, t)
        req = {"roleArn": target.role_arn, "roleSessionName": target.session, "durationSeconds": 3600}
        resp = {"credentials": {"accessKeyId": key, "sessionToken": self.session_token(),
                                "expiration": java_date(t + timedelta(hours=1))},
                "assumedRoleUser": {"assumedRoleId": f"{target.principal_id}:{target.session}",
                                    "arn": target.arn}}
        res = [{"accountId": target.account, "type": "AWS::IAM::Role", "ARN": target.role_arn}]
        self.emit(t, caller, "sts.amazonaws.com", "AssumeRole", region=region, req=req, resp=resp,
                  resources=res, shared=caller.kind == "AWSService", scenario=scenario)
        return t

    def console_login(self, t, p, *, success=True, mfa_used=False, scenario=None, message=None):
        if p.kind == "Root":
            ui = {"type": "Root", "principalId": p.account, "arn": p.arn, "accountId": p.account,
                  "accessKeyId": ""}
        else:
            ui = {"type": "IAMUser", "principalId": p.principal_id, "arn": p.arn,
                  "accountId": p.account, "accessKeyId": "", "userName": p.name}
        extra = {"LoginTo": LOGIN_URL, "MobileVersion": "No", "MFAUsed": "Yes" if mfa_used else "No"}
        if mfa_used:
            extra["MFAIdentifier"] = f"arn:aws:iam::{p.account}:mfa/{'root-account-mfa-device' if p.kind == 'Root' else p.name}"
        self.emit(t, p, "signin.amazonaws.com", "ConsoleLogin", identity=ui, read_only=False,
                  error=None if success else (None, message or "Failed authentication"),
                  resp={"ConsoleLogin": "Success" if success else "Failure"}, extra=extra,
                  request_id=False, event_type="AwsConsoleSignIn", console=False, scenario=scenario)

    def note(self, name: str, **meta) -> str:
        self.meta[name] = meta
        return name

    # ======================================================================
    # Background noise (scaled by --scale)
    # ======================================================================

    def background(self) -> None:
        for rep in range(self.scale):
            for day in range(NUM_DAYS):
                self.bg_pipeline(day, rep)
                self.bg_sagemaker_service(day)
                self.bg_console_data_scientist(day)
                self.bg_genai_app(day)
                self.bg_reporting(day)
                self.bg_terraform(day)
                self.bg_mark_ops(day)
                self.bg_config(day)
                self.bg_etl(day, rep)
                self.bg_data_console(day)
                self.bg_ingest(day)
                self.bg_replica_checks(day)
                self.bg_sandbox_dev(day)

    def business_time(self, day: int, start: int = 8, end: int = 18) -> datetime:
        return at(day, self.rng.randint(start, end - 1), self.rng.randint(0, 59), self.rng.randint(0, 59))

    def cron_time(self, day: int, start: int, end: int, minute: int) -> datetime:
        """A time a few minutes past `minute` of a random hour: scheduled jobs run together,
        so they share delivery windows (and files) with the hourly pipeline / ETL runs."""
        return at(day, self.rng.randint(start, end - 1), minute + self.rng.randint(0, 2), self.rng.randint(0, 59))

    def bg_pipeline(self, day: int, rep: int) -> None:
        """EC2-hosted ML pipeline (instance profile, IMDSv2) polling SageMaker every hour."""
        p = self.pipeline
        minute = 5 if rep == 0 else self.rng.randint(0, 59)
        for hour in range(6, 22):
            t = at(day, hour, minute, self.rng.randint(0, 40))
            self.emit(t, p, "sts.amazonaws.com", "GetCallerIdentity")
            t = self.jitter(t)
            self.emit(t, p, "sagemaker.amazonaws.com", "ListTrainingJobs",
                      req={"maxResults": 20, "sortBy": "CreationTime", "sortOrder": "Descending"})
            for _ in range(self.rng.randint(1, 2)):
                t = self.jitter(t, 1, 5)
                job = f"churn-xgb-202611{24 + day - self.rng.randint(0, 1):02d}-{self.rng.randint(0, 23):02d}00"
                self.emit(t, p, "sagemaker.amazonaws.com", "DescribeTrainingJob", req={"trainingJobName": job})
            if hour % 2 == 0:
                t = self.jitter(t)
                self.emit(t, p, "sagemaker.amazonaws.com", "ListEndpoints",
                          req={"maxResults": 50, "statusEquals": "InService"})
                t = self.jitter(t)
                self.s3(t, p, "GetBucketLocation", MODELS_BUCKET, req_extra={"location": ""})
            else:
                t = self.jitter(t)
                self.emit(t, p, "logs.amazonaws.com", "DescribeLogStreams",
                          req={"logGroupName": "/aws/sagemaker/TrainingJobs", "orderBy": "LastEventTime",
                               "descending": True, "limit": 10})
            t = self.jitter(t)
            self.kms(t, p, "Decrypt", ip="10.20.31.47", vpce="vpce-0c3e5a7b9d1f24680",
                     context={"aws:sagemaker:training-job": "churn-xgb"})

    def bg_sagemaker_service(self, day: int) -> None:
        """SageMaker assuming its execution role, and a notebook calling List/Describe APIs."""
        svc = Principal("AWSService", PROD, "sagemaker.amazonaws.com", "sagemaker.amazonaws.com",
                        "sagemaker.amazonaws.com")
        for _ in range(3):
            t = self.cron_time(day, 7, 20, 5)
            since = self.assume_role(t, svc, self.sm_exec)
            t = self.jitter(t, 5, 30)
            self.emit(t, self.sm_exec, "logs.amazonaws.com", "CreateLogStream", since=since,
                      req={"logGroupName": "/aws/sagemaker/NotebookInstances",
                           "logStreamName": f"nb-team-shared/jupyter-{self.rng.randint(1000, 9999)}.log"})
            t = self.jitter(t)
            self.kms(t, self.sm_exec, "GenerateDataKey", since=since)
        for _ in range(2):
            t = self.cron_time(day, 8, 18, 5)
            nb = self.sm_notebook
            self.emit(t, nb, "sagemaker.amazonaws.com", "DescribeNotebookInstance",
                      req={"notebookInstanceName": "nb-team-shared"})
            for name, req in (("ListModels", {"maxResults": 50}), ("ListEndpoints", {"maxResults": 50}),
                              ("ListExperiments", {"maxResults": 20}),
                              ("DescribeEndpoint", {"endpointName": "fraud-xgb-prod"})):
                t = self.jitter(t, 2, 40)
                self.emit(t, nb, "sagemaker.amazonaws.com", name, req=req)
        # a key used by a service on the role's behalf: sourceIPAddress "AWS Internal"
        t = self.cron_time(day, 8, 18, 5)
        internal = Principal(**{**self.sm_notebook.__dict__, "invoked_by": UA_INTERNAL})
        self.kms(t, internal, "Decrypt", ip=UA_INTERNAL, ua=UA_INTERNAL)

    def bg_console_data_scientist(self, day: int) -> None:
        """jane (IAM Identity Center, console) browsing SageMaker, S3, Bedrock, CloudTrail."""
        p = self.jane
        for _ in range(2):
            since = self.business_time(day, 8, 17)
            t = self.jitter(since, 20, 90)
            calls = [
                ("sagemaker.amazonaws.com", "ListNotebookInstances", {"maxResults": 10, "sortBy": "CreationTime", "sortOrder": "Descending"}),
                ("sagemaker.amazonaws.com", "ListTrainingJobs", {"maxResults": 10, "sortBy": "CreationTime", "sortOrder": "Descending"}),
                ("sagemaker.amazonaws.com", "DescribeTrainingJob", {"trainingJobName": f"churn-xgb-202611{24 + day:02d}-0600"}),
                ("sagemaker.amazonaws.com", "ListEndpoints", {"maxResults": 10}),
                ("bedrock.amazonaws.com", "ListFoundationModels", None),
                ("bedrock.amazonaws.com", "GetFoundationModel", {"modelIdentifier": "anthropic.claude-3-haiku-20240307-v1:0"}),
                ("logs.amazonaws.com", "DescribeLogGroups", {"logGroupNamePrefix": "/aws/sagemaker/", "limit": 50}),
                ("cloudtrail.amazonaws.com", "LookupEvents", {"maxResults": 50, "lookupAttributes": [{"attributeKey": "EventSource", "attributeValue": "sagemaker.amazonaws.com"}]}),
            ]
            for source, name, req in self.rng.sample(calls, self.rng.randint(5, len(calls))):
                t = self.jitter(t, 3, 45)
                ua = UA_INTERNAL if source == "cloudtrail.amazonaws.com" else None
                self.emit(t, p, source, name, req=req, since=since, ua=ua)
            t = self.jitter(t, 5, 30)
            self.s3(t, p, "ListBuckets", ua=UA_S3_CONSOLE, since=since)
            t = self.jitter(t, 2, 10)
            self.s3(t, p, "GetBucketLocation", TRAINING_BUCKET, ua=UA_S3_CONSOLE, since=since,
                    req_extra={"location": ""})

    def bg_genai_app(self, day: int) -> None:
        """A Lambda-hosted chat app invoking approved Bedrock models."""
        models = (["anthropic.claude-3-haiku-20240307-v1:0"] * 6 + ["amazon.titan-embed-text-v2:0"] * 3
                  + ["meta.llama3-8b-instruct-v1:0"])
        lam = Principal("AWSService", PROD, "lambda.amazonaws.com", "lambda.amazonaws.com",
                        "lambda.amazonaws.com")
        since = self.assume_role(at(day, 7, 2, self.rng.randint(0, 59)), lam, self.genai)
        for hour in sorted(self.rng.sample(range(7, 21), 8)):
            t = at(day, hour, 5 + self.rng.randint(0, 2), self.rng.randint(0, 59))
            ip = f"198.51.100.{self.rng.randint(150, 170)}"
            for _ in range(self.rng.randint(3, 7)):
                t = self.jitter(t, 1, 25)
                self.emit(t, self.genai, "bedrock.amazonaws.com", "InvokeModel", ip=ip, since=since,
                          req={"modelId": self.rng.choice(models)})

    def bg_reporting(self, day: int) -> None:
        """svc-reporting: a long-term key used once a day from the office, us-east-1 only."""
        p = self.reporting
        t = at(day, 6, 5 + self.rng.randint(0, 2), self.rng.randint(0, 59))
        self.emit(t, p, "sts.amazonaws.com", "GetCallerIdentity")
        for name, req in (("ListTrainingJobs", {"maxResults": 100, "creationTimeAfter": java_date(at(day - 1, 6))}),
                          ("ListEndpoints", {"maxResults": 100})):
            t = self.jitter(t, 1, 4)
            self.emit(t, p, "sagemaker.amazonaws.com", name, req=req)
        for _ in range(2):
            t = self.jitter(t, 1, 4)
            self.emit(t, p, "cloudtrail.amazonaws.com", "LookupEvents",
                      req={"startTime": java_date(at(day - 1, 6)), "endTime": java_date(at(day, 6)),
                           "maxResults": 50,
                           "lookupAttributes": [{"attributeKey": "EventSource", "attributeValue": "bedrock.amazonaws.com"}]})

    def bg_terraform(self, day: int) -> None:
        """Daily Terraform plan: ci-deployer assumes TerraformDeployRole and reads resources."""
        t = at(day, 9, self.rng.randint(0, 20), self.rng.randint(0, 59))
        since = self.assume_role(t, self.ci, self.terraform)
        p = self.terraform
        role = "SageMakerExecutionRole"
        reads = [
            ("iam.amazonaws.com", "GetRole", {"roleName": role}),
            ("iam.amazonaws.com", "ListRolePolicies", {"roleName": role}),
            ("iam.amazonaws.com", "ListAttachedRolePolicies", {"roleName": role}),
            ("iam.amazonaws.com", "ListRoles", {"pathPrefix": "/service-role/"}),
            ("sagemaker.amazonaws.com", "DescribeNotebookInstance", {"notebookInstanceName": "nb-team-shared"}),
            ("sagemaker.amazonaws.com", "DescribeEndpointConfig", {"endpointConfigName": "fraud-xgb-prod-config"}),
            ("sagemaker.amazonaws.com", "DescribeModel", {"modelName": "fraud-xgb-v7"}),
            ("kms.amazonaws.com", "DescribeKey", {"keyId": self.kms_arn(PROD)}),
            ("kms.amazonaws.com", "GetKeyRotationStatus", {"keyId": self.kms_arn(PROD)}),
            ("ec2.amazonaws.com", "DescribeVpcs", {"vpcSet": {"items": [{"vpcId": "vpc-0b1d3f5a7c9e24680"}]}, "filterSet": {}}),
            ("ec2.amazonaws.com", "DescribeSubnets", {"subnetSet": {"items": [{"subnetId": "subnet-0a2c4e6b8d1f35790"}]}, "filterSet": {}}),
            ("ec2.amazonaws.com", "DescribeSecurityGroups", {"securityGroupSet": {"items": [{"groupId": "sg-0e1f2a3b4c5d6e7f8"}]}, "filterSet": {}}),
        ]
        for source, name, req in reads:
            t = self.jitter(t, 0, 3)
            self.emit(t, p, source, name, req=req, since=since)
        for bucket in (MODELS_BUCKET + "-prod-artifacts",):
            for name, flag in (("GetBucketPolicy", "policy"), ("GetBucketVersioning", "versioning"),
                               ("GetBucketEncryption", "encryption")):
                t = self.jitter(t, 0, 2)
                self.s3(t, p, name, bucket, req_extra={flag: ""}, since=since)
        # the DR region is planned too
        t = self.jitter(t, 5, 20)
        for source, name, req in reads[9:12] + [("kms.amazonaws.com", "DescribeKey", {"keyId": "alias/ml-dr"})]:
            t = self.jitter(t, 0, 3)
            self.emit(t, p, source, name, req=req, since=since, region=EUW1)
        t = self.jitter(t, 1, 3)
        self.s3(t, p, "GetBucketLocation", "acme-ml-models-dr", region=EUW1, req_extra={"location": ""},
                since=since)

    def bg_mark_ops(self, day: int) -> None:
        """mark.ops, a cloud admin, signs in with MFA from the office on the first two days."""
        if day > 1:
            return
        p = self.mark
        since = at(day, 10, self.rng.randint(0, 30), self.rng.randint(0, 59))
        self.console_login(since, p, mfa_used=True)
        t = self.jitter(since, 10, 40)
        calls = [
            ("ec2.amazonaws.com", "DescribeInstances", {"instancesSet": {}, "filterSet": {}}, None),
            ("iam.amazonaws.com", "ListUsers", None, UA_INTERNAL),
            ("iam.amazonaws.com", "ListRoles", None, UA_INTERNAL),
            ("iam.amazonaws.com", "GetAccountSummary", None, UA_INTERNAL),
            ("cloudtrail.amazonaws.com", "DescribeTrails", {"includeShadowTrails": False}, UA_INTERNAL),
            ("cloudtrail.amazonaws.com", "GetTrailStatus", {"name": f"arn:aws:cloudtrail:us-east-1:{PROD}:trail/prod-ml-audit"}, UA_INTERNAL),
            ("kms.amazonaws.com", "ListAliases", {"limit": 100}, UA_INTERNAL),
        ]
        for source, name, req, ua in calls:
            t = self.jitter(t, 4, 60)
            self.emit(t, p, source, name, req=req, since=since, ua=ua)

    def bg_config(self, day: int) -> None:
        """AWS Config's service-linked role describing resources (invokedBy config)."""
        for p, regions in ((self.config_prod, (USE1, EUW1)), (self.config_data, (USE1,))):
            for region in regions:
                if region == EUW1:
                    t = self.business_time(day, 0, 23)
                elif p.account == PROD:
                    t = self.cron_time(day, 6, 22, 5)
                else:
                    t = at(day, 2 * self.rng.randint(0, 11), 20 + self.rng.randint(0, 2), self.rng.randint(0, 59))
                arn = f"arn:aws:sagemaker:{region}:{p.account}:notebook-instance/nb-team-shared" \
                    if p.account == PROD else f"arn:aws:kms:{region}:{p.account}:key/{self.kms_keys[p.account]}"
                source = "sagemaker.amazonaws.com" if p.account == PROD else "kms.amazonaws.com"
                name = "ListTags" if p.account == PROD else "ListResourceTags"
                req = {"resourceArn": arn} if p.account == PROD else {"keyId": arn}
                self.emit(t, p, source, name, req=req, region=region)

    def bg_etl(self, day: int, rep: int) -> None:
        """etl-svc (long-term key, Boto3) moving data every two hours: S3 data events."""
        p = self.etl
        minute = 20 if rep == 0 else self.rng.randint(0, 59)
        for hour in range(0, 24, 2):
            t = at(day, hour, minute, self.rng.randint(0, 50))
            if t > LAST_EVENT - timedelta(minutes=5):
                continue
            date = f"{t:%Y-%m-%d}"
            self.s3(t, p, "ListObjects", TRAINING_BUCKET, data=True, prefix=f"raw/ingest/{date}/",
                    req_extra={"list-type": "2", "prefix": f"raw/ingest/{date}/", "encoding-type": "url"},
                    bytes_out=self.rng.randint(600, 4000))
            for i in range(self.rng.randint(1, 3)):
                t = self.jitter(t, 1, 6)
                self.s3(t, p, "GetObject", TRAINING_BUCKET, f"raw/ingest/{date}/batch-{hour:02d}{i:02d}.json.gz",
                        data=True, bytes_out=self.rng.randint(40_000, 900_000))
            t = self.jitter(t, 5, 30)
            size = self.rng.randint(1_000_000, 9_000_000)
            self.s3(t, p, "PutObject", TRAINING_BUCKET,
                    f"datasets/clickstream/{t:%Y-%m}/part-{day * 12 + hour // 2:05d}.parquet",
                    data=True, bytes_in=size, req_extra={"x-amz-server-side-encryption": "aws:kms"},
                    resp={"x-amz-server-side-encryption": "aws:kms",
                          "x-amz-server-side-encryption-aws-kms-key-id": self.kms_arn(DATA)})
            t = self.jitter(t, 0, 1)
            s3svc = Principal(**{**p.__dict__, "invoked_by": "s3.amazonaws.com"})
            self.kms(t, s3svc, "GenerateDataKey", ip="s3.amazonaws.com", ua="s3.amazonaws.com",
                     context={"aws:s3:arn": f"arn:aws:s3:::{TRAINING_BUCKET}/datasets/clickstream/"})

    def bg_data_console(self, day: int) -> None:
        """bob (IAM Identity Center, console) checking buckets and running Athena queries."""
        p = self.bob
        since = self.business_time(day, 8, 16)
        t = self.jitter(since, 20, 60)
        self.s3(t, p, "ListBuckets", ua=UA_S3_CONSOLE, since=since)
        for bucket in (TRAINING_BUCKET, MODELS_BUCKET):
            for name, flag in (("GetBucketLocation", "location"), ("GetBucketPolicy", "policy"),
                               ("GetBucketEncryption", "encryption")):
                t = self.jitter(t, 1, 8)
                self.s3(t, p, name, bucket, ua=UA_S3_CONSOLE, req_extra={flag: ""}, since=since)
        qid = self.uuid()
        t = self.jitter(t, 30, 120)
        self.emit(t, p, "athena.amazonaws.com", "StartQueryExecution", since=since, ua=UA_INTERNAL,
                  req={"queryString": "SELECT event_date, count(*) FROM clickstream GROUP BY 1 LIMIT 100",
                       "queryExecutionContext": {"database": "ml_features"}, "workGroup": "primary"},
                  resp={"queryExecutionId": qid})
        for name in ("GetQueryExecution", "GetQueryResults"):
            t = self.jitter(t, 2, 9)
            self.emit(t, p, "athena.amazonaws.com", name, req={"queryExecutionId": qid}, since=since,
                      ua=UA_INTERNAL)

    def bg_ingest(self, day: int) -> None:
        """A Lambda writing raw files, and a model-registry sync reading a few artifacts."""
        for _ in range(4):
            t = at(day, 2 * self.rng.randint(0, 11), 20 + self.rng.randint(0, 2), self.rng.randint(0, 59))
            if t > LAST_EVENT - timedelta(minutes=5):
                continue
            self.emit(t, self.ingest, "logs.amazonaws.com", "CreateLogStream",
                      req={"logGroupName": "/aws/lambda/ingest-fn",
                           "logStreamName": f"{t:%Y/%m/%d}/[$LATEST]{self.hexstr(32)}"})
            for i in range(2):
                t = self.jitter(t, 1, 4)
                self.s3(t, self.ingest, "PutObject", TRAINING_BUCKET,
                        f"raw/ingest/{t:%Y-%m-%d}/events-{self.hexstr(8)}.json.gz", data=True,
                        bytes_in=self.rng.randint(20_000, 400_000),
                        ua=f"[{UA_LAMBDA_JS.replace('bedrock-runtime', 's3')}]")
        t = self.business_time(day, 9, 17)
        for model in self.rng.sample(["fraud-xgb/v7", "churn-xgb/v12", "recsys-two-tower/v3"], 2):
            t = self.jitter(t, 2, 30)
            self.s3(t, self.model_sync, "GetObject", MODELS_BUCKET, f"models/{model}/model.tar.gz", data=True,
                    bytes_out=self.rng.randint(30_000_000, 180_000_000), ua=f"[{UA_BOTO3}]")

    def bg_replica_checks(self, day: int) -> None:
        """etl-svc checking the replica buckets in eu-west-1 and us-west-2."""
        for region in (EUW1, USW2):
            for hour in (7, 19):
                t = at(day, hour, 40 + self.rng.randint(0, 10), self.rng.randint(0, 59))
                self.s3(t, self.etl, "GetBucketLocation", f"{TRAINING_BUCKET}-{region}", region=region,
                        req_extra={"location": ""})
                t = self.jitter(t, 1, 5)
                self.s3(t, self.etl, "GetBucketReplication", TRAINING_BUCKET, region=USE1,
                        req_extra={"replication": ""}, error=("ReplicationConfigurationNotFoundError",
                                                             "The replication configuration was not found")
                        if region == USW2 and hour == 19 and day == 0 else None)
                t = self.jitter(t, 1, 5)
                self.kms(t, self.etl, "Decrypt", region=region)

    def bg_sandbox_dev(self, day: int) -> None:
        """A sandbox developer with a long-term key and the CLI; some normal errors."""
        p = self.dev
        for burst in range(3):
            region = EUW1 if burst == 2 else USE1
            t = self.business_time(day, 8, 20)
            cmd = lambda c: UA_CLI.format(cmd=c)  # noqa: E731
            self.emit(t, p, "sts.amazonaws.com", "GetCallerIdentity", region=region,
                      ua=cmd("sts.get-caller-identity"))
            t = self.jitter(t, 3, 40)
            self.emit(t, p, "ec2.amazonaws.com", "DescribeInstances", region=region,
                      req={"instancesSet": {}, "filterSet": {"items": [{"name": "instance-state-name", "valueSet": {"items": [{"value": "running"}]}}]}},
                      ua=cmd("ec2.describe-instances"))
            t = self.jitter(t, 3, 40)
            self.s3(t, p, "ListBuckets", region=region, ua=f"[{cmd('s3.ls')}]")
            if burst == 0:
                t = self.jitter(t, 3, 40)
                self.emit(t, p, "ec2.amazonaws.com", "DescribeImages", region=region,
                          req={"executableBySet": {}, "imagesSet": {}, "ownersSet": {"items": [{"owner": "self"}]},
                               "filterSet": {}}, ua=cmd("ec2.describe-images"))
                t = self.jitter(t, 3, 40)
                self.emit(t, p, "iam.amazonaws.com", "CreateRole", ua=cmd("iam.create-role"),
                          req={"roleName": "sandbox-lambda-test", "assumeRolePolicyDocument":
                               "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"},
                          error=("AccessDenied", f"User: {p.arn} is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::{SANDBOX}:role/sandbox-lambda-test with an explicit deny in a service control policy"))
            if burst == 1:
                t = self.jitter(t, 3, 40)
                self.s3(t, p, "GetBucketPolicy", "sandbox-media-uploads", region=region, req_extra={"policy": ""},
                        error=("NoSuchBucketPolicy", "The bucket policy does not exist"), ua=f"[{cmd('s3api.get-bucket-policy')}]")
                t = self.jitter(t, 3, 40)
                self.emit(t, p, "logs.amazonaws.com", "FilterLogEvents", region=region, ua=cmd("logs.filter-log-events"),
                          req={"logGroupName": "/aws/lambda/sandbox-hello", "startTime": int(at(day, 0).timestamp() * 1000),
                               "interleaved": True})

    # ======================================================================
    # Fixed anchors (not scaled)
    # ======================================================================

    def nightly_batch(self) -> None:
        """The pipeline's nightly batch at 00:15, and a late one at 23:55 that is delivered
        after midnight (the late-delivery fixture; not on the last day)."""
        p = self.pipeline
        for day in range(NUM_DAYS):
            slots = [(0, 15)] + ([(23, 55)] if day < NUM_DAYS - 1 else [])
            for hh, mm in slots:
                late = (hh, day) == (23, 1)
                scen = self.note("late_delivery", expect_alert=False, detections=[],
                                 description="Events of 2026-11-25 23:55-23:59 delivered in a file under the "
                                             "2026/11/26 folder (folder date = delivery date).") if late else None
                t = at(day, hh, mm, self.rng.randint(0, 30))
                self.emit(t, p, "sagemaker.amazonaws.com", "ListProcessingJobs", req={"maxResults": 20},
                          scenario=scen)
                for _ in range(4):
                    t = self.jitter(t, 5, 40)
                    self.emit(t, p, "sagemaker.amazonaws.com", "DescribeProcessingJob",
                              req={"processingJobName": f"feature-build-{t:%Y%m%d}-{self.rng.randint(0, 9)}"},
                              scenario=scen)
                    t = self.jitter(t, 1, 5)
                    self.kms(t, p, "GenerateDataKey", scenario=scen)

    def service_events(self) -> None:
        """AwsServiceEvent records: userIdentity without a type key."""
        for acct in sorted(ACCOUNTS):
            t = at(1, 4, 10 + self.rng.randint(0, 30), self.rng.randint(0, 59))
            kms = Principal("ServiceEvent", acct, "kms.amazonaws.com", "kms.amazonaws.com", "kms.amazonaws.com")
            self.emit(t, kms, "kms.amazonaws.com", "RotateKey", read_only=False, request_id=False,
                      event_type="AwsServiceEvent", extra={"keyId": self.kms_arn(acct)},
                      resources=[{"accountId": acct, "type": "AWS::KMS::Key", "ARN": self.kms_arn(acct)}])
        ec2 = Principal("ServiceEvent", DATA, "ec2.amazonaws.com", "ec2.amazonaws.com", "ec2.amazonaws.com")
        self.emit(at(0, 13, 7, 44), ec2, "ec2.amazonaws.com", "SharedSnapshotVolumeCreated", read_only=False,
                  request_id=False, event_type="AwsServiceEvent", shared=True,
                  service_details={"snapshotId": "snap-0f1e2d3c4b5a69788"})

    # ======================================================================
    # Scenarios the detections must find
    # ======================================================================

    def scenarios(self) -> None:
        self.sc_notebooks()
        self.sc_training_jobs()
        self.sc_bulk_endpoints()
        self.sc_bedrock_app_denied()
        self.sc_bedrock_guardrail_update()
        self.sc_bedrock_customization()
        self.sc_comprehend_pii()
        self.sc_rekognition_faces()
        self.sc_s3_exfiltration()
        self.sc_leaked_reporting_key()
        self.sc_root_login()
        self.sc_console_takeover()
        self.sc_llmjacking()

    def sc_notebooks(self) -> None:
        role = self.sm_exec.role_arn
        bad = self.note("notebook_direct_internet_root_access", expect_alert=True, detections=[1, 2, 3],
                        description="CreateNotebookInstance with directInternetAccess Enabled, rootAccess Enabled, "
                                    "no subnetId and no kmsKeyId.")
        t = at(0, 14, 12, 31)
        self.emit(t, self.jane, "sagemaker.amazonaws.com", "CreateNotebookInstance", since=t - timedelta(minutes=9),
                  req={"notebookInstanceName": "nb-quick-experiment", "instanceType": "ml.g5.xlarge",
                       "roleArn": role, "directInternetAccess": "Enabled", "volumeSizeInGB": 50,
                       "rootAccess": "Enabled", "platformIdentifier": "notebook-al2-v3"},
                  resp={"notebookInstanceArn": f"arn:aws:sagemaker:us-east-1:{PROD}:notebook-instance/nb-quick-experiment"},
                  scenario=bad)
        ok = self.note("notebook_compliant_near_miss", expect_alert=False, detections=[1, 2, 3],
                       description="Compliant CreateNotebookInstance (in VPC, KMS key, no internet, no root): "
                                   "must not alert.")
        t = at(0, 15, 40, 8)
        self.emit(t, self.terraform, "sagemaker.amazonaws.com", "CreateNotebookInstance",
                  req={"notebookInstanceName": "nb-fraud-model-dev", "instanceType": "ml.t3.large",
                       "subnetId": "subnet-0a2c4e6b8d1f35790", "securityGroupIds": ["sg-0e1f2a3b4c5d6e7f8"],
                       "roleArn": role, "kmsKeyId": self.kms_arn(PROD), "lifecycleConfigName": "lcc-standard-hardening",
                       "directInternetAccess": "Disabled", "volumeSizeInGB": 100, "rootAccess": "Disabled",
                       "platformIdentifier": "notebook-al2-v3",
                       "instanceMetadataServiceConfiguration": {"minimumInstanceMetadataServiceVersion": "2"}},
                  resp={"notebookInstanceArn": f"arn:aws:sagemaker:us-east-1:{PROD}:notebook-instance/nb-fraud-model-dev"},
                  scenario=ok)

    def training_job(self, t, p, name, *, gpu: bool, scenario, ua=None, **kw):
        req = {"trainingJobName": name,
               "algorithmSpecification": {
                   "trainingImage": f"{PROD}.dkr.ecr.us-east-1.amazonaws.com/"
                                    + ("llm-train:2.3-gpu-cu121" if gpu else "xgboost-train:1.7-cpu"),
                   "trainingInputMode": "File", "enableSageMakerMetricsTimeSeries": False},
               "roleArn": self.sm_exec.role_arn,
               "inputDataConfig": [{"channelName": "train", "dataSource": {"s3DataSource": {
                   "s3DataType": "S3Prefix",
                   "s3Uri": f"s3://{TRAINING_BUCKET}/datasets/{'customer-support' if gpu else 'clickstream'}/2026-11/",
                   "s3DataDistributionType": "FullyReplicated"}}}],
               "outputDataConfig": {"s3OutputPath": f"s3://{MODELS_BUCKET}/training-output/"},
               "resourceConfig": {"instanceType": "ml.p4d.24xlarge" if gpu else "ml.m5.xlarge",
                                  "instanceCount": 8 if gpu else 1, "volumeSizeInGB": 500 if gpu else 30},
               "stoppingCondition": {"maxRuntimeInSeconds": 432000 if gpu else 3600},
               "enableNetworkIsolation": not gpu,
               "enableInterContainerTrafficEncryption": not gpu,
               "enableManagedSpotTraining": False}
        if not gpu:
            req["outputDataConfig"]["kmsKeyId"] = self.kms_arn(PROD)
            req["resourceConfig"]["volumeKmsKeyId"] = self.kms_arn(PROD)
            req["vpcConfig"] = {"securityGroupIds": ["sg-0e1f2a3b4c5d6e7f8"],
                                "subnets": ["subnet-0a2c4e6b8d1f35790", "subnet-0b3d5f7a9c2e46801"]}
        self.emit(t, p, "sagemaker.amazonaws.com", "CreateTrainingJob", req=req,
                  resp={"trainingJobArn": f"arn:aws:sagemaker:us-east-1:{PROD}:training-job/{name}"},
                  scenario=scenario, ua=ua.format(cmd="sagemaker.create-training-job") if ua else None, **kw)
        self.emit(self.jitter(t, 20, 50), p, "sagemaker.amazonaws.com", "DescribeTrainingJob",
                  req={"trainingJobName": name}, scenario=scenario,
                  ua=ua.format(cmd="sagemaker.describe-training-job") if ua else None, **kw)

    def sc_training_jobs(self) -> None:
        bad = self.note("training_gpu_offhours_no_isolation", expect_alert=True, detections=[4, 5, 6, 10, 13],
                        description="CreateTrainingJob at 03:10 UTC on 8x ml.p4d.24xlarge, no vpcConfig, "
                                    "enableNetworkIsolation false, enableInterContainerTrafficEncryption false, "
                                    "no output kmsKeyId; by the leaked svc-reporting key from 203.0.113.45.")
        self.training_job(at(1, 3, 10, 14), self.reporting, "llm-ft-20261125-0310", gpu=True, scenario=bad,
                          ip="203.0.113.45", ua=UA_CLI_WIN)
        ok = self.note("training_compliant_near_miss", expect_alert=False, detections=[4, 5, 6, 13],
                       description="Compliant CreateTrainingJob (ml.m5.xlarge, VPC, isolation, encryption, KMS) "
                                   "in business hours by the pipeline role: must not alert.")
        self.training_job(at(1, 10, 30, 2), self.pipeline, "churn-xgb-20261125-1030", gpu=False, scenario=ok)

    def sc_bulk_endpoints(self) -> None:
        scen = self.note("bulk_endpoint_creation", expect_alert=True, detections=[4, 7, 12],
                         description="12 CreateModel + 12 CreateEndpointConfig (ml.g5.12xlarge, no kmsKeyId) + "
                                     "12 CreateEndpoint in under 10 minutes by MLOpsDeployRole/gitlab-runner-7.")
        p = self.mlops
        t = at(2, 13, 20, 5)
        since = t - timedelta(minutes=3)
        for i in range(1, 13):
            model, config, endpoint = f"chat-llm-v{i:02d}", f"chat-llm-v{i:02d}-config", f"chat-ep-{i:02d}"
            self.emit(t, p, "sagemaker.amazonaws.com", "CreateModel", since=since, scenario=scen,
                      req={"modelName": model,
                           "primaryContainer": {"image": f"{PROD}.dkr.ecr.us-east-1.amazonaws.com/llm-serve:0.9-gpu",
                                                "mode": "SingleModel",
                                                "modelDataUrl": f"s3://{MODELS_BUCKET}/models/chat-llm/v{i:02d}/model.tar.gz"},
                           "executionRoleArn": self.sm_exec.role_arn, "enableNetworkIsolation": False},
                      resp={"modelArn": f"arn:aws:sagemaker:us-east-1:{PROD}:model/{model}"})
            t = self.jitter(t, 2, 8)
            self.emit(t, p, "sagemaker.amazonaws.com", "CreateEndpointConfig", since=since, scenario=scen,
                      req={"endpointConfigName": config,
                           "productionVariants": [{"variantName": "AllTraffic", "modelName": model,
                                                   "initialInstanceCount": 2, "instanceType": "ml.g5.12xlarge",
                                                   "initialVariantWeight": 1.0}]},
                      resp={"endpointConfigArn": f"arn:aws:sagemaker:us-east-1:{PROD}:endpoint-config/{config}"})
            t = self.jitter(t, 2, 8)
            self.emit(t, p, "sagemaker.amazonaws.com", "CreateEndpoint", since=since, scenario=scen,
                      req={"endpointName": endpoint, "endpointConfigName": config},
                      resp={"endpointArn": f"arn:aws:sagemaker:us-east-1:{PROD}:endpoint/{endpoint}"})
            t = self.jitter(t, 15, 25)

    def sc_bedrock_app_denied(self) -> None:
        scen = self.note("bedrock_restricted_model_denied", expect_alert=True, detections=[19],
                         description=f"InvokeModel of the restricted {RESTRICTED_MODEL} denied "
                                     "(AccessDeniedException) for the chat app role.")
        t = at(1, 14, 22, 3)
        for _ in range(4):
            t = self.jitter(t, 2, 30)
            self.emit(t, self.genai, "bedrock.amazonaws.com", "InvokeModel", ip="198.51.100.155",
                      req={"modelId": RESTRICTED_MODEL}, scenario=scen,
                      error=("AccessDeniedException",
                             f"User: {self.genai.arn} is not authorized to perform: bedrock:InvokeModel on resource: "
                             f"arn:aws:bedrock:us-east-1::foundation-model/{RESTRICTED_MODEL} with an explicit deny "
                             "in a service control policy"))

    def sc_bedrock_guardrail_update(self) -> None:
        scen = self.note("bedrock_guardrail_updated", expect_alert=True, detections=[16],
                         description="UpdateGuardrail lowering the prompt-attack filter to NONE (console).")
        t = at(0, 16, 5, 12)
        gid = "gr7k2m9q4x1z"
        self.emit(t, self.jane, "bedrock.amazonaws.com", "UpdateGuardrail", since=t - timedelta(minutes=14),
                  req={"guardrailIdentifier": gid, "name": "HIDDEN_DUE_TO_SECURITY_REASONS",
                       "blockedInputMessaging": "HIDDEN_DUE_TO_SECURITY_REASONS",
                       "blockedOutputsMessaging": "HIDDEN_DUE_TO_SECURITY_REASONS",
                       "contentPolicyConfig": {"filtersConfig": [
                           {"type": "PROMPT_ATTACK", "inputStrength": "NONE", "outputStrength": "NONE"},
                           {"type": "VIOLENCE", "inputStrength": "LOW", "outputStrength": "LOW"}]}},
                  resp={"guardrailArn": f"arn:aws:bedrock:us-east-1:{PROD}:guardrail/{gid}", "guardrailId": gid,
                        "updatedAt": f"{t:%Y-%m-%dT%H:%M:%S}.{self.rng.randint(0, 999999999):09d}Z", "version": "DRAFT"},
                  scenario=scen)

    def sc_bedrock_customization(self) -> None:
        scen = self.note("bedrock_customization_no_cmk", expect_alert=True, detections=[25],
                         description="CreateModelCustomizationJob without customModelKmsKeyId or vpcConfig.")
        t = at(1, 16, 20, 41)
        base = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1:0:8k"
        job = self.ident("", 12, string.ascii_lowercase + string.digits)
        self.emit(t, self.jane, "bedrock.amazonaws.com", "CreateModelCustomizationJob", since=t - timedelta(minutes=25),
                  req={"jobName": "support-bot-ft-20261125", "customModelName": "support-bot-titan-v1",
                       "roleArn": f"arn:aws:iam::{PROD}:role/BedrockCustomizationRole",
                       "baseModelIdentifier": base, "customizationType": "FINE_TUNING",
                       "trainingDataConfig": {"s3Uri": f"s3://{TRAINING_BUCKET}/bedrock/support-bot/train.jsonl"},
                       "outputDataConfig": {"s3Uri": f"s3://{MODELS_BUCKET}/bedrock/support-bot/"},
                       "hyperParameters": {"epochCount": "2", "batchSize": "1", "learningRate": "0.00001"}},
                  resp={"jobArn": f"arn:aws:bedrock:us-east-1:{PROD}:model-customization-job/amazon.titan-text-express-v1:0:8k/{job}"},
                  scenario=scen)

    def sc_comprehend_pii(self) -> None:
        scen = self.note("comprehend_pii_unapproved_principal", expect_alert=True, detections=[32],
                         description="DetectPiiEntities / ContainsPiiEntities burst and a StartPiiEntitiesDetectionJob "
                                     "writing to a marketing bucket without KMS, by a MarketingAnalyst SSO user.")
        p = self.dave
        since = at(1, 11, 1, 7)
        t = at(1, 11, 5, 0)
        calls = ["DetectPiiEntities"] * 12 + ["ContainsPiiEntities"] * 6
        self.rng.shuffle(calls)
        for name in calls:
            t = self.jitter(t, 10, 60)
            self.emit(t, p, "comprehend.amazonaws.com", name, since=since, scenario=scen,
                      ua=UA_CLI_MAC.format(cmd=f"comprehend.{'detect-pii-entities' if name[0] == 'D' else 'contains-pii-entities'}"),
                      req={"text": "HIDDEN_DUE_TO_SECURITY_REASONS", "languageCode": "en"})
        t = self.jitter(t, 30, 90)
        job_id = self.hexstr(32)
        self.emit(t, p, "comprehend.amazonaws.com", "StartPiiEntitiesDetectionJob", since=since, scenario=scen,
                  ua=UA_CLI_MAC.format(cmd="comprehend.start-pii-entities-detection-job"),
                  req={"inputDataConfig": {"s3Uri": f"s3://{TRAINING_BUCKET}/datasets/customer-support/2026-11/",
                                           "inputFormat": "ONE_DOC_PER_LINE"},
                       "outputDataConfig": {"s3Uri": "s3://acme-marketing-exports/pii-scan/"},
                       "mode": "ONLY_OFFSETS", "dataAccessRoleArn": f"arn:aws:iam::{DATA}:role/ComprehendDataAccessRole",
                       "jobName": "pii-scan-support-tickets", "languageCode": "en", "clientRequestToken": self.uuid()},
                  resp={"jobId": job_id, "jobArn": f"arn:aws:comprehend:us-east-1:{DATA}:pii-entities-detection-job/{job_id}",
                        "jobStatus": "SUBMITTED"})
        for _ in range(3):
            t = self.jitter(t, 60, 300)
            self.emit(t, p, "comprehend.amazonaws.com", "DescribePiiEntitiesDetectionJob", since=since, scenario=scen,
                      ua=UA_CLI_MAC.format(cmd="comprehend.describe-pii-entities-detection-job"), req={"jobId": job_id})

    def sc_rekognition_faces(self) -> None:
        scen = self.note("rekognition_face_search", expect_alert=True, detections=[33],
                         description="CreateCollection, 20 IndexFaces, 25 SearchFacesByImage and 10 DetectFaces by a "
                                     "sandbox developer key.")
        p = self.dev
        ua = UA_BOTO3.replace("Botocore/1.35.76", "Botocore/1.35.76 face-indexer/0.1")
        t = at(0, 19, 10, 3)
        self.emit(t, p, "rekognition.amazonaws.com", "CreateCollection", ua=ua, scenario=scen,
                  req={"collectionId": "staff-faces"},
                  resp={"collectionArn": f"aws:rekognition:us-east-1:{SANDBOX}:collection/staff-faces",
                        "faceModelVersion": "7.0", "statusCode": 200})
        image = lambda name: {"s3Object": {"bucket": "sandbox-media-uploads", "name": name}}  # noqa: E731
        for i in range(1, 21):
            t = self.jitter(t, 5, 25)
            self.emit(t, p, "rekognition.amazonaws.com", "IndexFaces", ua=ua, scenario=scen,
                      req={"collectionId": "staff-faces", "image": image(f"badges/emp-{i:04d}.jpg"),
                           "externalImageId": f"emp-{i:04d}", "detectionAttributes": ["DEFAULT"],
                           "maxFaces": 1, "qualityFilter": "AUTO"})
        calls = ["SearchFacesByImage"] * 25 + ["DetectFaces"] * 10
        self.rng.shuffle(calls)
        for i, name in enumerate(calls):
            t = self.jitter(t, 5, 30)
            img = image(f"cctv/lobby/2026-11-24/frame-{i * 37 + 1200:06d}.jpg")
            req = {"collectionId": "staff-faces", "image": img, "maxFaces": 5, "faceMatchThreshold": 80.0} \
                if name == "SearchFacesByImage" else {"image": img, "attributes": ["ALL"]}
            self.emit(t, p, "rekognition.amazonaws.com", name, ua=ua, req=req, scenario=scen)

    def sc_s3_exfiltration(self) -> None:
        p = Principal(**{**self.etl.__dict__, "ip": "203.0.113.77",
                         "ua": "[" + UA_CLI.format(cmd="s3.cp") + "]", "tls12": False})
        data = self.note("s3_bulk_training_data_read", expect_alert=True, detections=[34, 50],
                         description="300 GetObject (data events) of datasets/ in acme-ml-training-data in 20 minutes "
                                     "by etl-svc's long-term key from a new IP and user agent, at night.")
        models = self.note("s3_model_artifact_download", expect_alert=True, detections=[34, 35],
                           description="40 GetObject of models/.../model.tar.gz in acme-ml-models (many >100 MB) "
                                       "by the same principal in the same window.")
        start = at(1, 2, 18, 2)
        for bucket, prefix, scen in ((TRAINING_BUCKET, "datasets/", data), (MODELS_BUCKET, "models/", models)):
            self.s3(self.jitter(start, 0, 20), p, "ListObjects", bucket, data=True, prefix=prefix, scenario=scen,
                    req_extra={"list-type": "2", "prefix": prefix, "encoding-type": "url"},
                    bytes_out=self.rng.randint(20_000, 90_000))
        keys = []
        for ds, n in (("customer-support", 120), ("fraud-transactions", 100), ("clickstream", 80)):
            for i in range(n):
                keys.append((TRAINING_BUCKET, f"datasets/{ds}/2026-{10 + i % 2:02d}/part-{i:05d}.parquet",
                             self.rng.randint(2_000_000, 48_000_000), data))
        names = ["fraud-xgb", "churn-xgb", "support-bot-llm", "recsys-two-tower", "chat-llm"]
        for i in range(40):
            name = names[i % len(names)]
            big = name.endswith("llm")
            keys.append((MODELS_BUCKET, f"models/{name}/v{i // len(names) + 1:02d}/model.tar.gz",
                         self.rng.randint(1_200_000_000, 3_400_000_000) if big else self.rng.randint(90_000_000, 450_000_000),
                         models))
        self.rng.shuffle(keys)
        span = 19 * 60
        for i, (bucket, key, size, scen) in enumerate(keys):
            t = start + timedelta(seconds=30 + i * span // len(keys) + self.rng.randint(0, 2))
            self.s3(t, p, "GetObject", bucket, key, data=True, bytes_out=size, scenario=scen)

    def sc_leaked_reporting_key(self) -> None:
        """svc-reporting's AKIA key used from 203.0.113.45: eu-west-1, AccessDenied burst, GPU job."""
        p = Principal(**{**self.reporting.__dict__, "ip": "203.0.113.45", "ua": UA_CLI_WIN})
        cmd = lambda c: UA_CLI_WIN.format(cmd=c)  # noqa: E731
        new_region = self.note("new_region_for_principal", expect_alert=True, detections=[50, 57],
                               description="svc-reporting (otherwise only us-east-1 from 192.0.2.50) calls "
                                           "GetCallerIdentity in eu-west-1 from 203.0.113.45.")
        t = at(1, 2, 38, 12)
        self.emit(t, p, "sts.amazonaws.com", "GetCallerIdentity", ua=cmd("sts.get-caller-identity"))
        t = at(1, 2, 39, 3)
        self.emit(t, p, "sts.amazonaws.com", "GetCallerIdentity", region=EUW1, ua=cmd("sts.get-caller-identity"),
                  scenario=new_region)
        burst = self.note("access_denied_burst", expect_alert=True, detections=[51],
                          description="30 AccessDenied / Client.UnauthorizedOperation errors in 5 minutes from the "
                                      "leaked svc-reporting key (iam, ec2, s3, secretsmanager, lambda, sts).")

        def iam_denied(action, resource):
            return ("AccessDenied", f"User: {p.arn} is not authorized to perform: {action} on resource: {resource} "
                                    f"because no identity-based policy allows the {action} action")

        def ec2_denied(action):
            return ("Client.UnauthorizedOperation", f"You are not authorized to perform this operation. User: {p.arn} "
                                                    f"is not authorized to perform: {action} because no identity-based "
                                                    f"policy allows the {action} action")
        user_res = f"arn:aws:iam::{PROD}:user/"
        calls = (
            [("iam.amazonaws.com", "ListUsers", None, iam_denied("iam:ListUsers", user_res), "iam.list-users")] * 8
            + [("iam.amazonaws.com", "ListRoles", None, iam_denied("iam:ListRoles", f"arn:aws:iam::{PROD}:role/"), "iam.list-roles")] * 3
            + [("iam.amazonaws.com", "GetAccountAuthorizationDetails", None,
                iam_denied("iam:GetAccountAuthorizationDetails", "*"), "iam.get-account-authorization-details")] * 2
            + [("iam.amazonaws.com", "ListAccessKeys", {"userName": "mark.ops"},
                iam_denied("iam:ListAccessKeys", f"{user_res}mark.ops"), "iam.list-access-keys")] * 2
            + [("ec2.amazonaws.com", "DescribeInstances", {"instancesSet": {}, "filterSet": {}},
                ec2_denied("ec2:DescribeInstances"), "ec2.describe-instances")] * 4
            + [("ec2.amazonaws.com", "DescribeSecurityGroups", {"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}},
                ec2_denied("ec2:DescribeSecurityGroups"), "ec2.describe-security-groups")] * 2
            + [("ec2.amazonaws.com", "DescribeVpcs", {"vpcSet": {}, "filterSet": {}},
                ec2_denied("ec2:DescribeVpcs"), "ec2.describe-vpcs")]
            + [("s3", "ListBuckets", None, ("AccessDenied", f"User: {p.arn} is not authorized to perform: "
                "s3:ListAllMyBuckets because no identity-based policy allows the s3:ListAllMyBuckets action"), "s3.ls")] * 2
            + [("s3", "GetBucketPolicy", MODELS_BUCKET + "-prod-artifacts", ("AccessDenied", "Access Denied"),
                "s3api.get-bucket-policy")]
            + [("secretsmanager.amazonaws.com", "ListSecrets", {"maxResults": 100},
                ("AccessDenied", f"User: {p.arn} is not authorized to perform: secretsmanager:ListSecrets because no "
                                 "identity-based policy allows the secretsmanager:ListSecrets action"), "secretsmanager.list-secrets")] * 2
            + [("lambda.amazonaws.com", "ListFunctions20150331", None,
                ("AccessDenied", f"User: {p.arn} is not authorized to perform: lambda:ListFunctions on resource: * "
                                 "because no identity-based policy allows the lambda:ListFunctions action"), "lambda.list-functions")] * 2
            + [("sts.amazonaws.com", "AssumeRole",
                {"roleArn": f"arn:aws:iam::{PROD}:role/OrganizationAccountAccessRole", "roleSessionName": "test"},
                iam_denied("sts:AssumeRole", f"arn:aws:iam::{PROD}:role/OrganizationAccountAccessRole"), "sts.assume-role")]
        )
        assert len(calls) == 30
        calls = list(calls)
        self.rng.shuffle(calls)
        t = at(1, 2, 41, 2)
        for source, name, req, error, command in calls:
            t = t + timedelta(seconds=self.rng.randint(4, 9))
            if source == "s3":
                self.s3(t, p, name, req, error=error, ua=f"[{cmd(command)}]",
                        req_extra={"policy": ""} if req else None, scenario=burst)
            else:
                self.emit(t, p, source, name, req=req, error=error, ua=cmd(command), scenario=burst)
        assert t < at(1, 2, 46, 0)

    def sc_root_login(self) -> None:
        scen = self.note("root_console_login", expect_alert=True, detections=[46],
                         description="Root ConsoleLogin (with MFA) and root console API calls in the sandbox account.")
        p = self.root_sandbox
        since = at(0, 9, 5, 17)
        self.console_login(since, p, mfa_used=True, scenario=scen)
        t = since
        for source, name, req in (("iam.amazonaws.com", "GetAccountSummary", None),
                                  ("iam.amazonaws.com", "ListMFADevices", None),
                                  ("iam.amazonaws.com", "GetAccountPasswordPolicy", None),
                                  ("ce.amazonaws.com", "GetCostAndUsage",
                                   {"timePeriod": {"start": "2026-11-01", "end": "2026-11-24"},
                                    "granularity": "MONTHLY", "metrics": ["UnblendedCost"]})):
            t = self.jitter(t, 15, 90)
            self.emit(t, p, source, name, req=req, since=since, ua=UA_INTERNAL, scenario=scen)

    def sc_console_takeover(self) -> None:
        """mark.ops: password spraying, a login without MFA at night, persistence and evasion."""
        login = self.note("console_login_failures_then_no_mfa", expect_alert=True, detections=[47],
                          description="6 ConsoleLogin failures (errorMessage 'Failed authentication', no errorCode) "
                                      "then a successful ConsoleLogin with MFAUsed 'No' for mark.ops from 203.0.113.66 "
                                      "(mark normally signs in with MFA from 192.0.2.25).")
        p = self.mark_attacker
        t = at(2, 1, 38, 9)
        for _ in range(6):
            self.console_login(t, p, success=False, scenario=login)
            t = self.jitter(t, 25, 55)
        since = t
        self.console_login(since, p, success=True, mfa_used=False, scenario=login)

        persist = self.note("iam_persistence_admin_user", expect_alert=True, detections=[48, 49],
                            description="CreateUser svc-llm-batch, AttachUserPolicy AdministratorAccess, PutUserPolicy, "
                                        "CreateAccessKey for another user, from the hijacked console session.")
        new_user = self.llm_batch
        t = at(2, 1, 47, 21)
        self.emit(t, p, "iam.amazonaws.com", "CreateUser", since=since, ua=UA_INTERNAL, scenario=persist,
                  req={"userName": new_user.name},
                  resp={"user": {"path": "/", "userName": new_user.name, "userId": new_user.principal_id,
                                 "arn": new_user.arn, "createDate": java_date(t)}})
        t = self.jitter(t, 20, 60)
        self.emit(t, p, "iam.amazonaws.com", "AttachUserPolicy", since=since, ua=UA_INTERNAL, scenario=persist,
                  req={"userName": new_user.name, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})
        t = self.jitter(t, 20, 60)
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["bedrock:*"], "Resource": "*"}]}
        self.emit(t, p, "iam.amazonaws.com", "PutUserPolicy", since=since, ua=UA_INTERNAL, scenario=persist,
                  req={"userName": new_user.name, "policyName": "bedrock-batch",
                       "policyDocument": json.dumps(policy, indent=2)})
        t = self.jitter(t, 20, 60)
        self.emit(t, p, "iam.amazonaws.com", "CreateAccessKey", since=since, ua=UA_INTERNAL, scenario=persist,
                  req={"userName": new_user.name},
                  resp={"accessKey": {"accessKeyId": new_user.access_key, "status": "Active",
                                      "userName": new_user.name, "createDate": java_date(t)}})

        trail = self.note("cloudtrail_stopped_and_deleted", expect_alert=True, detections=[44],
                          description="StopLogging then DeleteTrail on the account trail prod-ml-audit.")
        trail_arn = f"arn:aws:cloudtrail:us-east-1:{PROD}:trail/prod-ml-audit"
        t = at(2, 1, 55, 40)
        self.emit(t, p, "cloudtrail.amazonaws.com", "StopLogging", since=since, req={"name": trail_arn},
                  scenario=trail)
        t = self.jitter(t, 30, 70)
        self.emit(t, p, "cloudtrail.amazonaws.com", "DeleteTrail", since=since, req={"name": trail_arn},
                  scenario=trail)

        kms = self.note("kms_key_disabled_and_scheduled_for_deletion", expect_alert=True, detections=[53],
                        description="DisableKey and ScheduleKeyDeletion (7 days) on the prod-ml CMK.")
        t = at(2, 2, 5, 2)
        key_arn = self.kms_arn(PROD)
        res = [{"accountId": PROD, "type": "AWS::KMS::Key", "ARN": key_arn}]
        self.emit(t, p, "kms.amazonaws.com", "DisableKey", since=since, req={"keyId": self.kms_keys[PROD]},
                  resources=res, scenario=kms)
        t = self.jitter(t, 30, 70)
        self.emit(t, p, "kms.amazonaws.com", "ScheduleKeyDeletion", since=since, resources=res, scenario=kms,
                  req={"keyId": self.kms_keys[PROD], "pendingWindowInDays": 7},
                  resp={"keyId": key_arn, "keyState": "PendingDeletion",
                        "deletionDate": java_date(t + timedelta(days=7)), "pendingWindowInDays": 7})

        guard = self.note("bedrock_guardrail_deleted", expect_alert=True, detections=[16],
                          description="DeleteGuardrail by the hijacked mark.ops console session at 02:12.")
        t = at(2, 2, 12, 30)
        self.emit(t, p, "bedrock.amazonaws.com", "DeleteGuardrail", since=since,
                  req={"guardrailIdentifier": "gr7k2m9q4x1z"}, scenario=guard)

    def sc_llmjacking(self) -> None:
        """svc-llm-batch (created above) in us-west-2: recon, logging off, 200 InvokeModel."""
        p = self.llm_batch
        recon = self.note("bedrock_recon_long_term_key", expect_alert=True, detections=[20, 21],
                          description="ListFoundationModels, GetFoundationModelAvailability and "
                                      "GetModelInvocationLoggingConfiguration with an AKIA key before invoking.")
        t = at(2, 2, 33, 40)
        self.emit(t, p, "sts.amazonaws.com", "GetCallerIdentity", region=USW2)
        for name, req in (("ListFoundationModels", {"byOutputModality": "TEXT"}),
                          ("GetFoundationModelAvailability", {"modelId": RESTRICTED_MODEL}),
                          ("GetModelInvocationLoggingConfiguration", None)):
            t = self.jitter(t, 3, 20)
            self.emit(t, p, "bedrock.amazonaws.com", name, region=USW2, req=req, scenario=recon)
        logging_off = self.note("bedrock_invocation_logging_deleted", expect_alert=True, detections=[15],
                                description="DeleteModelInvocationLoggingConfiguration in us-west-2 before the burst.")
        t = at(2, 2, 36, 18)
        self.emit(t, p, "bedrock.amazonaws.com", "DeleteModelInvocationLoggingConfiguration", region=USW2,
                  scenario=logging_off)
        burst = self.note("bedrock_invoke_burst_new_principal", expect_alert=True, detections=[19, 22, 23, 57],
                          description=f"200 InvokeModel (150 {RESTRICTED_MODEL}, 50 claude-3-5-sonnet) in 30 minutes "
                                      "at night by the new user svc-llm-batch in us-west-2, a region prod-ml never "
                                      "uses otherwise.")
        models = [RESTRICTED_MODEL] * 150 + ["anthropic.claude-3-5-sonnet-20240620-v1:0"] * 50
        self.rng.shuffle(models)
        start = at(2, 2, 40, 0)
        for i, model in enumerate(models):
            t = start + timedelta(seconds=i * 9 + self.rng.randint(0, 8))
            self.emit(t, p, "bedrock.amazonaws.com", "InvokeModel", region=USW2, req={"modelId": model},
                      scenario=burst)

    # ======================================================================
    # Writing
    # ======================================================================

    def write(self, out: Path) -> dict:
        shutil.rmtree(out / "AWSLogs", ignore_errors=True)
        out.mkdir(parents=True, exist_ok=True)
        files = self.write_logs(out)
        digest = self.write_digest(out, files)
        insight = self.write_insight(out)
        # The access logs come last and draw from their own random stream: the CloudTrail
        # files above are the same with or without them.
        access = S3AccessLogs(self).build().write(out)
        self.write_expected(out, files, digest, insight, access)
        return {"files": files, "digest": digest, "insight": insight, "access": access}

    def put(self, out: Path, key: str, raw: bytes) -> int:
        path = out / key
        path.parent.mkdir(parents=True, exist_ok=True)
        data = gzip.compress(raw, compresslevel=9, mtime=0)
        path.write_bytes(data)
        return len(data)

    def write_logs(self, out: Path) -> list[LogFile]:
        groups: dict[tuple, list[Event]] = defaultdict(list)
        for ev in self.events:
            groups[(ev.account, ev.region)].append(ev)
        files = []
        for account, region in sorted(groups):
            windows: dict[datetime, list[Event]] = defaultdict(list)
            for ev in sorted(groups[(account, region)], key=lambda e: e.time):
                windows[ev.time.replace(minute=ev.time.minute // 5 * 5, second=0)].append(ev)
            for start in sorted(windows):
                evs = windows[start]
                chunks = [evs]
                if len(evs) > 120:      # busy windows are split over several files, as CloudTrail does
                    n = -(-len(evs) // 100)
                    chunks = [evs[i::n] for i in range(n)]
                for chunk in chunks:
                    files.append(self.write_log_file(out, account, region, chunk))
        return files

    def write_log_file(self, out, account, region, chunk: list[Event]) -> LogFile:
        newest = max(e.time for e in chunk)
        oldest = min(e.time for e in chunk)
        delivered = (newest + timedelta(seconds=self.rng.randint(361, 840))).replace(second=0)
        name = f"{account}_CloudTrail_{region}_{delivered:%Y%m%dT%H%MZ}_{self.ident('', 16, ALNUM)}.json.gz"
        key = f"AWSLogs/{ORG_ID}/{account}/CloudTrail/{region}/{delivered:%Y/%m/%d}/{name}"
        records = [e.record for e in chunk]
        self.rng.shuffle(records)
        raw = (json.dumps({"Records": records}, separators=(",", ":")) + "\n").encode()
        size = self.put(out, key, raw)
        scen = tuple(sorted({e.scenario for e in chunk if e.scenario}))
        return LogFile(key, account, region, delivered, len(chunk), len(raw), size,
                       hashlib.sha256(raw).hexdigest(), oldest, newest, scen)

    def write_digest(self, out: Path, files: list[LogFile]) -> dict:
        """The hourly digest of prod-ml/us-east-1 ending 2026-11-25T01:00:00Z."""
        end = at(1, 1)
        begin = end - timedelta(hours=1)
        prefix = f"AWSLogs/{ORG_ID}/{PROD}/CloudTrail-Digest/us-east-1/{end:%Y/%m/%d}/"
        name = lambda t: f"{PROD}_CloudTrail-Digest_us-east-1_{TRAIL_NAME}_us-east-1_{t:%Y%m%dT%H%M%SZ}.json.gz"  # noqa: E731
        listed = sorted((f for f in files if f.account == PROD and f.region == USE1 and begin <= f.delivered < end),
                        key=lambda f: f.key)
        assert listed, "the digest hour must contain log files"
        digest = {
            "awsAccountId": PROD,
            "digestStartTime": iso(begin),
            "digestEndTime": iso(end),
            "digestS3Bucket": TRAIL_BUCKET,
            "digestS3Object": prefix + name(end),
            "digestPublicKeyFingerprint": self.hexstr(32),
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": iso(max(f.newest for f in listed)),
            "oldestEventTime": iso(min(f.oldest for f in listed)),
            "previousDigestS3Bucket": TRAIL_BUCKET,
            "previousDigestS3Object": prefix + name(begin),
            "previousDigestHashValue": self.hexstr(64),
            "previousDigestHashAlgorithm": "SHA-256",
            "previousDigestSignature": self.hexstr(512),   # placeholder: no signing key exists
            "logFiles": [{"s3Bucket": TRAIL_BUCKET, "s3Object": f.key, "hashValue": f.sha256,
                          "hashAlgorithm": "SHA-256", "newestEventTime": iso(f.newest),
                          "oldestEventTime": iso(f.oldest)} for f in listed],
        }
        raw = json.dumps(digest, separators=(",", ":")).encode()
        size = self.put(out, digest["digestS3Object"], raw)
        return {"key": digest["digestS3Object"], "log_files": len(listed), "raw_bytes": len(raw), "gz_bytes": size}

    def write_insight(self, out: Path) -> dict:
        """An ApiErrorRateInsight Start/End pair for the AccessDenied burst on iam:ListUsers."""
        shared = self.uuid()
        arn = self.reporting.arn

        def record(state, t):
            return {
                "eventVersion": "1.08", "eventTime": iso(t), "awsRegion": USE1, "eventID": self.uuid(),
                "eventType": "AwsCloudTrailInsight", "recipientAccountId": PROD, "sharedEventID": shared,
                "insightDetails": {
                    "state": state, "eventSource": "iam.amazonaws.com", "eventName": "ListUsers",
                    "insightType": "ApiErrorRateInsight", "errorCode": "AccessDenied",
                    "insightContext": {
                        "statistics": {"baseline": {"average": 0.0000432158}, "insight": {"average": 1.6},
                                       "insightDuration": 5, "baselineDuration": 10075},
                        "attributions": [
                            {"attribute": "userIdentityArn", "insight": [{"value": arn, "average": 1.6}],
                             "baseline": [{"value": f"arn:aws:sts::{PROD}:assumed-role/TerraformDeployRole/terraform-ci",
                                           "average": 0.0000432158}]},
                            {"attribute": "userAgent",
                             "insight": [{"value": UA_CLI_WIN.format(cmd="iam.list-users"), "average": 1.6}],
                             "baseline": [{"value": UA_INTERNAL, "average": 0.0000432158}]},
                            {"attribute": "errorCode", "insight": [{"value": "AccessDenied", "average": 1.6}],
                             "baseline": [{"value": "AccessDenied", "average": 0.0000432158}]}]}},
                "eventCategory": "Insight"}
        records = [record("Start", at(1, 2, 41)), record("End", at(1, 2, 46))]
        key = (f"AWSLogs/{ORG_ID}/{PROD}/CloudTrail-Insight/us-east-1/2026/11/25/"
               f"{PROD}_CloudTrail-Insight_us-east-1_20261125T0300Z_{self.ident('', 16, ALNUM)}.json.gz")
        raw = (json.dumps({"Records": records}, separators=(",", ":")) + "\n").encode()
        size = self.put(out, key, raw)
        return {"key": key, "records": len(records), "raw_bytes": len(raw), "gz_bytes": size}

    def write_expected(self, out: Path, files, digest, insight, access: dict) -> None:
        by_scenario: dict[str, list[Event]] = defaultdict(list)
        for ev in self.events:
            if ev.scenario:
                by_scenario[ev.scenario].append(ev)
        scenarios = []
        for name, meta in self.meta.items():
            evs = sorted(by_scenario[name], key=lambda e: e.time)
            names: dict[str, int] = {}
            for e in evs:
                names[e.record["eventName"]] = names.get(e.record["eventName"], 0) + 1
            principals = sorted({e.record["userIdentity"].get("arn", "") for e in evs} - {""})
            entry = {"scenario": name, "expect_alert": meta["expect_alert"],
                     "eventNames": dict(sorted(names.items())), "count": len(evs),
                     "account": sorted({e.account for e in evs}),
                     "accountName": sorted({ACCOUNTS[e.account] for e in evs}),
                     "region": sorted({e.region for e in evs}),
                     "start": iso(evs[0].time), "end": iso(evs[-1].time),
                     "principals": principals, "detections": meta["detections"],
                     "description": meta["description"]}
            if name == "late_delivery":
                entry["files"] = sorted(f.key for f in files if name in f.scenarios)
            scenarios.append(entry)
        scenarios.sort(key=lambda s: (s["start"], s["scenario"]))
        doc = {
            "generator": "scripts/gen-sample-trail.py",
            "note": "Detection catalogue row numbers refer to shared/spec/detections.md. off_hours_scenarios "
                    "lists the alerting scenarios that start between 01:00 and 04:00 UTC on a weekday "
                    "(2026-11-24 is a Tuesday, 2026-11-26 a Thursday).",
            "seed": self.seed, "scale": self.scale,
            "scenarios": scenarios,
            "off_hours_scenarios": sorted({s["scenario"] for s in scenarios
                                           if s["expect_alert"] and ("T01:" in s["start"] or "T02:" in s["start"]
                                                                     or "T03:" in s["start"])}),
            "digest": digest, "insight": insight,
            **access,
        }
        (out / "_expected.json").write_text(json.dumps(doc, indent=2) + "\n")


# --------------------------------------------------------------------------
# S3 server access logs (own random stream: the CloudTrail output does not change)
# --------------------------------------------------------------------------

ACCESS_ROOT = "s3-access-logs"
# The account owning each source bucket (the date-partitioned layout names it).
BUCKET_OWNER = {TRAINING_BUCKET: DATA, MODELS_BUCKET: PROD}
GZIP_DAY = 2                          # the EventTime object of this day was gzip-compressed by someone
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
TLS13 = ("TLSv1.3", "TLS_AES_128_GCM_SHA256")
TLS12 = ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256")
BARE = "<bare->"                      # an unquoted `-` where a quoted field usually is
TRAINING_AP = "training-readers"
UA_SAGEMAKER_S3 = ("aws-internal/3 aws-sdk-java/1.12.779 Linux/5.10.228-219.884.amzn2.x86_64 "
                   "OpenJDK_64-Bit_Server_VM/25.432-b06 java/1.8.0_432 vendor/Oracle_Corporation "
                   "cfg/retry-mode/standard")
UA_SCANNERS = ("python-requests/2.32.3", "curl/8.5.0", "Mozilla/5.0 zgrab/0.x", "Go-http-client/1.1")
# Probes an unauthenticated scanner sends: (operation, key, path after the bucket)
PROBES = (("REST.HEAD.BUCKET", None, "HEAD / HTTP/1.1"),
          ("REST.GET.BUCKET", None, "GET / HTTP/1.1"),
          ("REST.GET.OBJECT", ".env", "GET /.env HTTP/1.1"),
          ("REST.GET.OBJECT", ".git/config", "GET /.git/config HTTP/1.1"),
          ("REST.GET.OBJECT", "backup.tar.gz", "GET /backup.tar.gz HTTP/1.1"))
# CloudTrail eventName -> (operation, sub-resource query) for the events mirrored from the trail
MIRRORED = {"GetObject": ("REST.GET.OBJECT", None), "PutObject": ("REST.PUT.OBJECT", None),
            "ListObjects": ("REST.GET.BUCKET", None),
            "GetBucketLocation": ("REST.GET.LOCATION", "location"),
            "GetBucketPolicy": ("REST.GET.BUCKETPOLICY", "policy"),
            "GetBucketEncryption": ("REST.GET.ENCRYPTION", "encryption"),
            "GetBucketReplication": ("REST.GET.REPLICATION", "replication")}
# The four quoting edge cases (S3 writes `"` unescaped inside quoted fields).
EDGE_URI_QUOTE = 'GET /acme-ml-models/models/a"b.tar.gz HTTP/1.1'
EDGE_UA_TRAILING_QUOTE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"'
EDGE_UA_SHELLSHOCK = '() { :;}; echo; echo "masked"'
EDGE_LONG_REFERER = ("https://wiki.acme-corp.example/spaces/ML/pages/48213377/Model%20Registry%20-%20fraud-xgb"
                     "%20v07%20release%20notes%20and%20evaluation%20report?focusedCommentId=99120&src=mail"
                     "&title=Model%20Card%20fraud-xgb%20v07#comment-99120")


def s3_time(t: datetime) -> str:
    """`[06/Feb/2019:00:00:38 +0000]`, independent of the locale."""
    return f"[{t.day:02d}/{MONTHS[t.month - 1]}/{t.year}:{t:%H:%M:%S} +0000]"


def url_key(key: str) -> str:
    """The URL-encoded key of field 8 and of the Request-URI path (`/` kept, space -> %20, = -> %3D)."""
    return urllib.parse.quote(key, safe="/-_.~")


def url_query(value: str) -> str:
    return urllib.parse.quote(value, safe="-_.~")


def source_region(ip: str) -> str:
    """Field 27: the Region a request came from; `-` for clients outside AWS (a guess, see formats.md 3.2)."""
    return USE1 if ip.startswith(("10.", "198.51.100.")) else "-"


@dataclass
class AccessLine:
    time: datetime
    bucket: str
    fields: list                # one string per field, quoting included
    seq: int                    # creation order, ties broken by it
    op: str
    requester: str
    ip: str
    edge: str | None = None     # name of the quoting edge case, if it is one
    mirrored: bool = False      # the same request as a CloudTrail record (same request ID)

    @property
    def text(self) -> str:
        return " ".join(self.fields)


class S3AccessLogs:
    """Server access log lines for acme-ml-models (SimplePrefix, hourly objects) and
    acme-ml-training-data (PartitionedPrefix, EventTime, one object a day).

    Every S3 record of the trail on these two buckets is mirrored as a line with the same
    request ID, x-amz-id-2, time, IP, requester, user agent and TLS details; the rest is
    access-log-only noise. Draws from its own random.Random, never from the trail's."""

    def __init__(self, trail: SampleTrail):
        self.trail = trail
        self.rng = random.Random(f"s3-access-logs/{trail.seed}")
        self.scale = trail.scale
        self.lines: list[AccessLine] = []
        self.owner_id = {acct: self.hexstr(64) for acct in sorted(ACCOUNTS)}
        self.sizes: dict[tuple, int] = {}
        self.policy_bytes = {b: self.rng.randint(700, 1500) for b in sorted(BUCKET_OWNER)}
        self.partitions: dict[int, list] = {}
        self.edge_expect: dict[str, dict] = {}
        self.edge_pos: dict[str, tuple] = {}

    # ---- random pieces ---------------------------------------------------------

    def hexstr(self, n: int, upper: bool = False) -> str:
        s = f"{self.rng.getrandbits(n * 4):0{n}x}"
        return s.upper() if upper else s

    def request_id(self) -> str:
        return "".join(self.rng.choice(ALNUM_UPPER) for _ in range(16))

    def host_id(self) -> str:
        return base64.b64encode(self.rng.randbytes(56)).decode()

    def secs(self, t: datetime, lo: int, hi: int) -> datetime:
        return t + timedelta(seconds=self.rng.randint(lo, hi))

    def transfer(self, size: int, internal: bool, *, upload: bool = False) -> tuple:
        """(total time, turn-around time) in ms for moving `size` bytes."""
        turn = self.rng.randint(15, 90) if upload else self.rng.randint(6, 40)
        rate = self.rng.randint(80_000, 250_000) if internal else self.rng.randint(20_000, 110_000)
        return turn + size // rate + self.rng.randint(1, 15), turn

    def quick(self) -> tuple:
        turn = self.rng.randint(3, 35)
        return turn + self.rng.randint(0, 20), turn

    # ---- the one line builder -----------------------------------------------------

    def add(self, t: datetime, bucket: str, op: str, *, ip: str | None, requester: str | None,
            key: str | None = None, uri: str | None = None, status: int | None = 200,
            error: str | None = None, sent: int | None = None, size: int | None = None,
            total: int | None = None, turn: int | None = None, referrer: str | None = None,
            ua: str | None = None, version: str | None = None, request_id: str | None = None,
            host_id: str | None = None, sigv: str | None = "SigV4", tls: tuple | None = TLS13,
            auth: str | None = "AuthHeader", host: str | None = None, ap: str | None = None,
            acl: str | None = None, nfields: int | None = None, edge: str | None = None,
            mirrored: bool = False) -> AccessLine:
        """Append one line; fields 1-27 in order, cut to 24, 26 or 27 fields."""
        assert DAY0 <= t < DAY0 + timedelta(days=NUM_DAYS), t

        def quoted(v):
            return "-" if v == BARE else f'"{v or "-"}"'

        def num(v):
            return "-" if v is None else str(v)

        tls_version, cipher = tls or ("-", "-")
        fields = [self.owner_id[BUCKET_OWNER[bucket]], bucket, s3_time(t), ip or "-", requester or "-",
                  request_id or self.request_id(), op, url_key(key) if key else "-", quoted(uri),
                  num(status), error or "-", str(sent) if sent else "-", num(size), num(total), num(turn),
                  quoted(referrer), quoted(ua), version or "-", host_id or self.host_id(),
                  sigv or "-", cipher, auth or "-", host or f"{bucket}.s3.{USE1}.amazonaws.com",
                  tls_version, ap or "-", acl or "-", source_region(ip or "")]
        if nfields is None:             # most lines have 26 fields; some the older 24, some 27
            r = self.rng.random()
            nfields = 24 if r < 0.15 else 27 if r < 0.30 else 26
        line = AccessLine(t, bucket, fields[:nfields], len(self.lines), op, requester or "-", ip or "-",
                          edge, mirrored)
        self.lines.append(line)
        return line

    # ---- what goes in ------------------------------------------------------------

    def build(self) -> S3AccessLogs:
        self.mirror_trail()
        self.trail_neighbours()
        for _ in range(self.scale):
            for day in range(NUM_DAYS):
                for _ in range(2):
                    self.sagemaker_job(day)
                self.lifecycle(day)
                self.staging_cleanup(day)
                for bucket in sorted(BUCKET_OWNER):
                    self.scanner(day, bucket)
        self.one_offs()
        self.edge_cases()
        return self

    def mirror_trail(self) -> None:
        """One line per S3 record of the trail on the two buckets (same request ID and x-amz-id-2)."""
        for ev in self.trail.events:
            r = ev.record
            req = r.get("requestParameters") or {}
            if r["eventSource"] != "s3.amazonaws.com" or req.get("bucketName") not in BUCKET_OWNER:
                continue
            op, sub = MIRRORED[r["eventName"]]
            bucket, key = req["bucketName"], req.get("key")
            extra = r["additionalEventData"]
            ip = r["sourceIPAddress"]
            internal = source_region(ip) != "-"
            ua = r["userAgent"]
            if ua.startswith("[") and ua.endswith("]"):     # CloudTrail brackets S3 user agents
                ua = ua[1:-1]
            common = dict(ip=ip, requester=r["userIdentity"]["arn"], request_id=r["requestID"],
                          host_id=extra["x-amz-id-2"], tls=(r["tlsDetails"]["tlsVersion"], extra["CipherSuite"]),
                          host=r["tlsDetails"]["clientProvidedHostHeader"], ua=ua, mirrored=True)
            if op == "REST.GET.OBJECT":
                size = extra["bytesTransferredOut"]
                self.sizes[(bucket, key)] = size
                total, turn = self.transfer(size, internal)
                self.add(ev.time, bucket, op, key=key, uri=f"GET /{url_key(key)} HTTP/1.1", sent=size, size=size,
                         total=total, turn=turn, **common)
            elif op == "REST.PUT.OBJECT":
                size = extra["bytesTransferredIn"]
                self.sizes[(bucket, key)] = size
                total, turn = self.transfer(size, internal, upload=True)
                self.add(ev.time, bucket, op, key=key, uri=f"PUT /{url_key(key)} HTTP/1.1", size=size,
                         total=total, turn=turn, **common)
            elif op == "REST.GET.BUCKET":
                query = "&".join(f"{k}={url_query(str(req[k]))}" for k in ("list-type", "prefix", "encoding-type")
                                 if k in req)
                turn = self.rng.randint(12, 90)
                self.add(ev.time, bucket, op, uri=f"GET /?{query} HTTP/1.1", sent=extra["bytesTransferredOut"],
                         total=turn + self.rng.randint(1, 12), turn=turn, **common)
            else:
                error = r.get("errorCode")
                sent = {"location": 107, "policy": self.policy_bytes[bucket], "encryption": 236,
                        "replication": 412}[sub]
                total, turn = self.quick()
                self.add(ev.time, bucket, op, uri=f"GET /?{sub} HTTP/1.1", status=404 if error else 200,
                         error=error, sent=self.rng.randint(320, 345) if error else sent, total=total,
                         turn=None if error else turn, **common)

    def trail_neighbours(self) -> None:
        """Access-log-only requests next to trail activity of the same principals."""
        tr = self.trail
        dev_days = set()
        for ev in tr.events:
            r = ev.record
            arn = r["userIdentity"].get("arn")
            if arn == tr.pipeline.arn and r["eventName"] == "GetCallerIdentity":
                # the hourly pipeline run checks the deployed model artifact
                key = "models/fraud-xgb/v07/model.tar.gz"
                total, turn = self.quick()
                t = self.secs(ev.time, 1, 4)
                self.add(t, MODELS_BUCKET, "REST.HEAD.OBJECT", ip=tr.pipeline.ip, requester=arn, key=key,
                         uri=f"HEAD /{url_key(key)} HTTP/1.1", size=self.sizes[(MODELS_BUCKET, key)], total=total,
                         turn=turn, ua=UA_BOTO3)
                if ev.time.hour == 6:   # and downloads one pinned version each morning
                    version = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrH"
                    t = self.secs(t, 1, 3)
                    size = self.sizes[(MODELS_BUCKET, key)]
                    total, turn = self.transfer(size, True)
                    self.add(t, MODELS_BUCKET, "REST.GET.OBJECT", ip=tr.pipeline.ip, requester=arn, key=key,
                             uri=f"GET /{url_key(key)}?versionId={version} HTTP/1.1", sent=size, size=size,
                             total=total, turn=turn, ua=UA_BOTO3, version=version)
            elif (arn == tr.etl.arn and r["eventName"] == "ListObjects" and ev.scenario is None
                  and r["requestParameters"]["bucketName"] == TRAINING_BUCKET):
                # etl-svc looks for the batch manifest before listing (missing at midnight)
                key = f"{r['requestParameters']['prefix']}_manifest.json"
                missing = ev.time.hour == 0
                total, turn = self.quick()
                if not missing:
                    self.sizes.setdefault((TRAINING_BUCKET, key), self.rng.randint(300, 900))
                self.add(self.secs(ev.time, -3, -1), TRAINING_BUCKET, "REST.HEAD.OBJECT", ip=tr.etl.ip, requester=arn,
                         key=key, uri=f"HEAD /{url_key(key)} HTTP/1.1", status=404 if missing else 200,
                         error="NoSuchKey" if missing else None, sent=self.rng.randint(280, 300) if missing else None,
                         size=None if missing else self.sizes[(TRAINING_BUCKET, key)], total=total,
                         turn=None if missing else turn, ua=UA_BOTO3, tls=TLS12)
            elif (arn == tr.dev.arn and r["eventName"] == "ListBuckets" and r["awsRegion"] == USE1
                  and ev.time.date() not in dev_days):
                # the sandbox developer then tries to list the training data bucket: denied
                dev_days.add(ev.time.date())
                self.add(self.secs(ev.time, 4, 20), TRAINING_BUCKET, "REST.GET.BUCKET", ip=tr.dev.ip, requester=arn,
                         uri="GET /?list-type=2&prefix=&delimiter=%2F&encoding-type=url HTTP/1.1", status=403,
                         error="AccessDenied", sent=243, total=self.rng.randint(5, 40), turn=None,
                         ua=UA_CLI.format(cmd="s3.ls"))

    def partition(self, day: int) -> list:
        """The feature files of one day's dt= partition: [(key, size)]."""
        if day not in self.partitions:
            run = self.hexstr(8)
            date = f"{DAY0 + timedelta(days=day):%Y-%m-%d}"
            files = []
            for i in range(self.rng.randint(6, 10)):
                key = f"datasets/features/dt={date}/part-{i:05d}-{run}-c000.snappy.parquet"
                size = self.rng.randint(1_500_000, 9_000_000)
                self.sizes[(TRAINING_BUCKET, key)] = size
                files.append((key, size))
            self.partitions[day] = files
        return self.partitions[day]

    def sagemaker_job(self, day: int) -> None:
        """A churn training job: list and read the day's features (some ranged 206 reads), write its output.
        The pipeline's HEAD on the output gets 404 while the job runs and 200 after."""
        tr = self.trail
        sm, arn = tr.sm_exec, tr.sm_exec.arn
        hour = self.rng.randint(6, 19)
        start = at(day, hour, self.rng.randint(2, 9), self.rng.randint(0, 59))
        job = f"churn-xgb-{start:%Y%m%d}-{hour:02d}00"
        ip = f"10.20.31.{self.rng.randint(60, 120)}"
        via_ap = self.rng.random() < 0.5
        common = dict(ip=ip, requester=arn, ua=UA_SAGEMAKER_S3, tls=TLS12)
        if via_ap:
            common.update(host=f"{TRAINING_AP}-{DATA}.s3-accesspoint.{USE1}.amazonaws.com",
                          ap=f"arn:aws:s3:{USE1}:{DATA}:accesspoint/{TRAINING_AP}")
        else:
            common.update(acl="Yes")        # cross-account read granted by a legacy bucket ACL
        files = self.partition(day)
        prefix = files[0][0].rsplit("/", 1)[0] + "/"
        t = start
        turn = self.rng.randint(15, 70)
        self.add(t, TRAINING_BUCKET, "REST.GET.BUCKET",
                 uri=f"GET /?list-type=2&prefix={url_query(prefix)}&encoding-type=url HTTP/1.1",
                 sent=600 + 420 * len(files) + self.rng.randint(0, 99), total=turn + self.rng.randint(1, 9), turn=turn,
                 **common)
        for i, (key, size) in enumerate(files):
            t = self.secs(t, 0, 2)
            if i % 3 == 0:  # Parquet footer first: a ranged GET
                part = self.rng.randint(8_192, 65_536)
                total, turn = self.transfer(part, True)
                self.add(t, TRAINING_BUCKET, "REST.GET.OBJECT", key=key, uri=f"GET /{url_key(key)} HTTP/1.1",
                         status=206, sent=part, size=size, total=total, turn=turn, **common)
            total, turn = self.transfer(size, True)
            self.add(t, TRAINING_BUCKET, "REST.GET.OBJECT", key=key, uri=f"GET /{url_key(key)} HTTP/1.1",
                     sent=size, size=size, total=total, turn=turn, **common)
        # the pipeline's first look at the output: not there yet
        out_key = f"training-output/{job}/output/model.tar.gz"
        pipe = tr.pipeline
        self.add(self.secs(t, 60, 300), MODELS_BUCKET, "REST.HEAD.OBJECT", ip=pipe.ip, requester=pipe.arn,
                 key=out_key, uri=f"HEAD /{url_key(out_key)} HTTP/1.1", status=404, error="NoSuchKey",
                 sent=self.rng.randint(280, 300), total=self.rng.randint(4, 30), ua=UA_BOTO3)
        # the job ends 10-40 minutes later and writes its output
        t = self.secs(t, 600, 2400)
        epoch = int(t.timestamp())
        outputs = [(f"training-output/{job}/profiler-output/system/incremental/{t:%Y%m%d%H}/{epoch - 60 * k}.algo-1.json",
                    self.rng.randint(2_000, 24_000)) for k in (2, 1)]
        outputs += [(f"training-output/{job}/debug-output/training_job_end.ts", 0),
                    (out_key, self.rng.randint(20_000_000, 90_000_000))]
        out_common = dict(ip=ip, requester=arn, ua=UA_SAGEMAKER_S3, tls=TLS12)
        for key, size in outputs:
            t = self.secs(t, 0, 3)
            total, turn = self.transfer(size, True, upload=True)
            self.sizes[(MODELS_BUCKET, key)] = size
            self.add(t, MODELS_BUCKET, "REST.PUT.OBJECT", key=key, uri=f"PUT /{url_key(key)} HTTP/1.1", size=size,
                     total=total, turn=turn, **out_common)
        total, turn = self.quick()
        self.add(self.secs(t, 30, 200), MODELS_BUCKET, "REST.HEAD.OBJECT", ip=pipe.ip, requester=pipe.arn, key=out_key,
                 uri=f"HEAD /{url_key(out_key)} HTTP/1.1", size=self.sizes[(MODELS_BUCKET, out_key)], total=total,
                 turn=turn, ua=UA_BOTO3)

    def lifecycle(self, day: int) -> None:
        """The 30-day expiration rule on raw/ingest/: S3.EXPIRE.OBJECT by AmazonS3."""
        t = at(day, self.rng.randint(3, 5), self.rng.randint(0, 59), self.rng.randint(0, 59))
        folder = f"raw/ingest/{DAY0 + timedelta(days=day - 30):%Y-%m-%d}/"
        for _ in range(self.rng.randint(6, 10)):
            t = self.secs(t, 0, 3)
            self.add(t, TRAINING_BUCKET, "S3.EXPIRE.OBJECT", ip=None, requester="AmazonS3",
                     key=f"{folder}events-{self.hexstr(8)}.json.gz", uri=None, status=None,
                     size=self.rng.randint(20_000, 400_000), sigv=None, tls=None, auth=None, host="-")

    def staging_cleanup(self, day: int) -> None:
        """etl-svc deletes its staging files: REST.POST.MULTI_OBJECT_DELETE + one BATCH.DELETE.OBJECT per key."""
        etl = self.trail.etl
        t = at(day, 1, self.rng.randint(30, 45), self.rng.randint(0, 59))
        keys = [f"tmp/etl-staging/{t:%Y-%m-%d}/chunk-{i:04d}.tmp" for i in range(self.rng.randint(5, 8))]
        rid, hid = self.request_id(), self.host_id()
        total, turn = self.quick()
        common = dict(ip=etl.ip, requester=etl.arn, request_id=rid, host_id=hid, tls=TLS12)
        self.add(t, TRAINING_BUCKET, "REST.POST.MULTI_OBJECT_DELETE", uri="POST /?delete HTTP/1.1",
                 sent=120 + 118 * len(keys), total=total + 20, turn=turn + 15, ua=UA_BOTO3, **common)
        for key in keys:
            self.add(t, TRAINING_BUCKET, "BATCH.DELETE.OBJECT", key=key, uri=BARE, status=204,
                     size=self.rng.randint(200_000, 5_000_000), referrer=BARE, ua=BARE, **common)

    def scanner(self, day: int, bucket: str) -> None:
        """An unauthenticated internet scanner probing the bucket: 403 AccessDenied, requester `-`."""
        t = at(day, self.rng.randint(0, 23), self.rng.randint(0, 59), self.rng.randint(0, 59))
        op, key, request = self.rng.choice(PROBES)
        method, path, version = request.split(" ")
        plain_http = self.rng.random() < 0.4
        path_style = self.rng.random() < 0.3
        if path_style:
            path = f"/{bucket}{path if path != '/' else ''}"
            host = "s3.amazonaws.com" if plain_http else f"s3.{USE1}.amazonaws.com"
        else:
            host = f"{bucket}.s3.amazonaws.com" if plain_http else None
        self.add(t, bucket, op, ip=f"203.0.113.{self.rng.randint(180, 250)}", requester=None, key=key,
                 uri=f"{method} {path} {version}", status=403, error="AccessDenied", sent=243,
                 total=self.rng.randint(3, 200), ua=self.rng.choice(UA_SCANNERS), sigv=None, auth=None,
                 tls=None if plain_http else TLS13, host=host)

    def one_offs(self) -> None:
        tr = self.trail
        # A presigned-URL GET (QueryString) from jane's console session on the first day.
        jane = [ev for ev in tr.events if ev.record["userIdentity"].get("arn") == tr.jane.arn
                and ev.time.date() == DAY0.date()]
        last = max(jane, key=lambda e: e.time)
        asia = last.record["userIdentity"]["accessKeyId"]
        signed = self.secs(last.time, 20, 60)
        t = self.secs(signed, 1, 4)
        key = "reports/fraud-xgb/v07/Evaluation Report.html"
        size = self.rng.randint(180_000, 600_000)
        token = base64.b64encode(b"\x06\x00" + self.rng.randbytes(358)).decode()
        query = "&".join([
            "response-content-disposition=inline",
            "X-Amz-Content-Sha256=UNSIGNED-PAYLOAD",
            f"X-Amz-Security-Token={url_query('IQoJb3JpZ2luX2VjE' + token)}",
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            f"X-Amz-Date={signed:%Y%m%dT%H%M%SZ}",
            "X-Amz-SignedHeaders=host",
            "X-Amz-Expires=300",
            f"X-Amz-Credential={url_query(f'{asia}/{signed:%Y%m%d}/{USE1}/s3/aws4_request')}",
            f"X-Amz-Signature={self.hexstr(64)}",
        ])
        total, turn = self.transfer(size, False)
        self.add(t, MODELS_BUCKET, "REST.GET.OBJECT", ip=tr.jane.ip, requester=tr.jane.arn, key=key,
                 uri=f"GET /{url_key(key)}?{query} HTTP/1.1", sent=size, size=size, total=total, turn=turn,
                 referrer="https://us-east-1.console.aws.amazon.com/", ua=UA_CHROME, auth="QueryString",
                 nfields=26)
        # A server-side copy promoting a model: REST.PUT.OBJECT plus REST.COPY.OBJECT_GET, one request ID.
        mlops = tr.mlops
        t = at(1, 13, 4, self.rng.randint(0, 59))
        src, dst = "models/fraud-xgb/v07/model.tar.gz", "models/fraud-xgb/production/model.tar.gz"
        size = self.sizes[(MODELS_BUCKET, src)]
        rid, hid = self.request_id(), self.host_id()
        turn = self.rng.randint(1_500, 4_000)
        self.add(t, MODELS_BUCKET, "REST.PUT.OBJECT", ip=mlops.ip, requester=mlops.arn, key=dst,
                 uri=f"PUT /{url_key(dst)} HTTP/1.1", sent=234, size=size, total=turn + 12, turn=turn,
                 ua=UA_BOTO3, request_id=rid, host_id=hid)
        self.add(t, MODELS_BUCKET, "REST.COPY.OBJECT_GET", ip=mlops.ip, requester=mlops.arn, key=src, uri=BARE,
                 status=None, size=size, referrer=BARE, ua=BARE, request_id=rid, host_id=hid)
        # A GET of a model version that does not exist yet: 404 NoSuchKey.
        key = "models/churn-xgb/v13/model.tar.gz"
        self.add(at(2, 9, 12, self.rng.randint(0, 59)), MODELS_BUCKET, "REST.GET.OBJECT", ip=tr.pipeline.ip,
                 requester=tr.pipeline.arn, key=key, uri=f"GET /{url_key(key)} HTTP/1.1", status=404,
                 error="NoSuchKey", sent=self.rng.randint(280, 300), total=self.rng.randint(5, 30), ua=UA_BOTO3)

    def edge_cases(self) -> None:
        """The quoting edge cases, each in a line of the acme-ml-models (simple prefix) logs."""
        cases = [
            ("request_uri_with_double_quote", at(0, 3, 14, 9), "203.0.113.201", 'models/a"b.tar.gz',
             EDGE_URI_QUOTE, None, "curl/8.5.0", f"s3.{USE1}.amazonaws.com", TLS13),
            ("useragent_with_trailing_quote", at(1, 19, 42, 51), "203.0.113.140", "models/fraud-xgb/v07/model.tar.gz",
             "GET /models/fraud-xgb/v07/model.tar.gz HTTP/1.1", None, EDGE_UA_TRAILING_QUOTE, None, TLS13),
            ("useragent_shellshock_inner_quotes", at(2, 5, 7, 33), "203.0.113.222", "cgi-bin/status",
             "GET /cgi-bin/status HTTP/1.1", None, EDGE_UA_SHELLSHOCK, f"{MODELS_BUCKET}.s3.amazonaws.com", None),
            ("referrer_long_url_with_encoded_spaces", at(2, 15, 31, 4), self.trail.jane.ip,
             "docs/Model Card fraud-xgb v07.pdf", "GET /docs/Model%20Card%20fraud-xgb%20v07.pdf HTTP/1.1",
             EDGE_LONG_REFERER, UA_CHROME, None, TLS13),
        ]
        for name, t, ip, key, uri, referrer, ua, host, tls in cases:
            line = self.add(t, MODELS_BUCKET, "REST.GET.OBJECT", ip=ip, requester=None, key=key, uri=uri, status=403,
                            error="AccessDenied", sent=243, total=self.rng.randint(3, 60), referrer=referrer, ua=ua,
                            sigv=None, auth=None, tls=tls, host=host, nfields=26, edge=name)
            self.edge_expect[name] = {"key_field": line.fields[7], "request_uri": uri, "referrer": referrer or "-",
                                      "useragent": ua, "fields": len(line.fields)}

    # ---- what comes out ----------------------------------------------------------

    def unique(self) -> str:
        return self.hexstr(16, upper=True)

    def put(self, out: Path, key: str, bucket: str, lines: list, gz: bool = False) -> dict:
        raw = "".join(line.text + "\n" for line in lines).encode()
        path = out / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0) if gz else raw)
        for i, line in enumerate(lines, 1):
            if line.edge:
                self.edge_pos[line.edge] = (key, i)
        return {"key": key, "bucket": bucket, "lines": len(lines), "gzip": gz, "bytes": path.stat().st_size,
                "first": iso(lines[0].time), "last": iso(lines[-1].time)}

    def write(self, out: Path) -> dict:
        """Writes both layouts under out/s3-access-logs/; returns the facts for _expected.json,
        counted over the lines written."""
        shutil.rmtree(out / ACCESS_ROOT, ignore_errors=True)
        ordered = sorted(self.lines, key=lambda line: (line.time, line.seq))
        objects, written = [], []
        # (a) SimplePrefix, acme-ml-models: one object per hour, named by its delivery time
        hours: dict[datetime, list] = defaultdict(list)
        for line in ordered:
            if line.bucket == MODELS_BUCKET:
                hours[line.time.replace(minute=0, second=0)].append(line)
        for hour in sorted(hours):
            delivered = hour + timedelta(hours=1, seconds=self.rng.randint(90, 1500))
            key = f"{ACCESS_ROOT}/simple/{MODELS_BUCKET}/{delivered:%Y-%m-%d-%H-%M-%S}-{self.unique()}"
            objects.append(self.put(out, key, MODELS_BUCKET, hours[hour]))
            written += hours[hour]
        # (b) PartitionedPrefix (EventTime), acme-ml-training-data: one object per event day
        days: dict[datetime, list] = defaultdict(list)
        for line in ordered:
            if line.bucket == TRAINING_BUCKET:
                days[line.time.replace(hour=0, minute=0, second=0)].append(line)
        for day in sorted(days):
            gz = day == DAY0 + timedelta(days=GZIP_DAY)
            key = (f"{ACCESS_ROOT}/partitioned/{DATA}/{USE1}/{TRAINING_BUCKET}/{day:%Y/%m/%d}/"
                   f"{day:%Y-%m-%d}-00-00-00-{self.unique()}" + (".gz" if gz else ""))
            objects.append(self.put(out, key, TRAINING_BUCKET, days[day], gz=gz))
            written += days[day]
        assert len(written) == len(self.lines)

        count = lambda f: dict(sorted(Counter(f(line) for line in written).items()))  # noqa: E731
        etl = self.trail.etl
        exfil_ip = "203.0.113.77"
        gets = [line for line in written if line.op == "REST.GET.OBJECT" and line.requester == etl.arn]
        edge = []
        for name, expect in self.edge_expect.items():
            key, number = self.edge_pos[name]
            edge.append({"case": name, "object_key": key, "line": number, **expect})
        facts = {
            "note": "Server access logs of two source buckets, under s3-access-logs/. simple/acme-ml-models/ uses "
                    "the SimplePrefix layout (one plain-text object per hour, named by delivery time); "
                    "partitioned/<account>/<region>/acme-ml-training-data/YYYY/MM/DD/ the PartitionedPrefix layout "
                    "with EventTime (one object per event day, time 00-00-00). The object of "
                    f"{DAY0 + timedelta(days=GZIP_DAY):%Y-%m-%d} was gzip-compressed after delivery (name + .gz). "
                    "Every S3 record of the trail on these buckets has a line with the same request ID "
                    "(lines_mirrored_from_cloudtrail); the other lines have no CloudTrail record. Line counts are over "
                    "decompressed lines; fields are counted with the bracketed time and each quoted field as one.",
            "buckets": {
                MODELS_BUCKET: {"owner_account": BUCKET_OWNER[MODELS_BUCKET],
                                "owner_canonical_id": self.owner_id[BUCKET_OWNER[MODELS_BUCKET]],
                                "layout": "SimplePrefix", "prefix": f"{ACCESS_ROOT}/simple/{MODELS_BUCKET}/"},
                TRAINING_BUCKET: {"owner_account": BUCKET_OWNER[TRAINING_BUCKET],
                                  "owner_canonical_id": self.owner_id[BUCKET_OWNER[TRAINING_BUCKET]],
                                  "layout": "PartitionedPrefix/EventTime",
                                  "prefix": f"{ACCESS_ROOT}/partitioned/{DATA}/{USE1}/{TRAINING_BUCKET}/"}},
            "objects": len(objects),
            "objects_gzip": sum(o["gzip"] for o in objects),
            "lines": len(written),
            "lines_by_field_count": {str(k): v for k, v in count(lambda line: len(line.fields)).items()},
            "lines_by_day": count(lambda line: f"{line.time:%Y-%m-%d}"),
            "lines_by_bucket": count(lambda line: line.bucket),
            "lines_by_operation": count(lambda line: line.op),
            "lines_by_status": count(lambda line: line.fields[9]),
            "lines_anonymous": sum(line.requester == "-" for line in written),
            "lines_mirrored_from_cloudtrail": sum(line.mirrored for line in written),
            "exfiltration_get_object": {
                "principal": etl.arn,
                "source_ip": exfil_ip,
                "by_bucket": dict(sorted(Counter(line.bucket for line in gets).items())),
                "by_bucket_from_source_ip": dict(sorted(Counter(line.bucket for line in gets
                                                                if line.ip == exfil_ip).items())),
                "note": "by_bucket counts every REST.GET.OBJECT line whose requester is the principal (its "
                        "ordinary ETL reads from 198.51.100.42 included); by_bucket_from_source_ip only the "
                        "scenario's reads (all HTTP 200, bytes sent = object size).",
            },
            "object_list": objects,
        }
        return {"s3_access": facts, "s3_access_edge_cases": sorted(edge, key=lambda e: (e["object_key"], e["line"]))}


def main() -> None:
    repo = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=repo / "testdata" / "sample-trail",
                    help="output directory (default: testdata/sample-trail in the repository)")
    ap.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    ap.add_argument("--scale", type=int, default=1, help="background volume multiplier (default 1)")
    args = ap.parse_args()
    if args.scale < 1:
        ap.error("--scale must be at least 1")

    gen = SampleTrail(args.seed, args.scale)
    gen.nightly_batch()
    gen.background()
    gen.service_events()
    gen.scenarios()
    result = gen.write(args.out)

    files = result["files"]
    records = sum(f.records for f in files)
    gz = sum(f.gz_bytes for f in files) + result["digest"]["gz_bytes"] + result["insight"]["gz_bytes"]
    raw = sum(f.raw_bytes for f in files) + result["digest"]["raw_bytes"] + result["insight"]["raw_bytes"]
    print(f"wrote {args.out}")
    print(f"  log files:      {len(files)} (+1 digest, +1 insight)")
    print(f"  records:        {records} (+{result['insight']['records']} insight events)")
    print(f"  gzip bytes:     {gz}")
    print(f"  uncompressed:   {raw}")
    per = defaultdict(int)
    for f in files:
        per[(ACCOUNTS[f.account], f.region)] += f.records
    for (acct, region), n in sorted(per.items()):
        print(f"    {acct:8} {region:10} {n:5} records")
    print("scenarios (see _expected.json):")
    doc = json.loads((args.out / "_expected.json").read_text())
    for s in doc["scenarios"]:
        flag = "ALERT" if s["expect_alert"] else "quiet"
        print(f"  [{flag}] {s['scenario']:42} {','.join(s['accountName']):8} {','.join(s['region']):10} "
              f"{s['start']}..{s['end'][11:]} n={s['count']}")
    late = next(s for s in doc["scenarios"] if s["scenario"] == "late_delivery")
    for key in late["files"]:
        print(f"  late delivery file: {key}")
    print(f"  digest:  {result['digest']['key']} ({result['digest']['log_files']} log files)")
    print(f"  insight: {result['insight']['key']}")
    acc = result["access"]["s3_access"]
    print(f"s3 server access logs: {acc['objects']} objects ({acc['objects_gzip']} gzip), {acc['lines']} lines")
    print(f"  by field count: {acc['lines_by_field_count']}")
    print(f"  by day:         {acc['lines_by_day']}")
    exfil = acc["exfiltration_get_object"]
    print(f"  REST.GET.OBJECT by {exfil['principal']} from {exfil['source_ip']}: {exfil['by_bucket_from_source_ip']}")
    for e in result["access"]["s3_access_edge_cases"]:
        print(f"  edge case {e['case']}: {e['object_key']} line {e['line']}")


if __name__ == "__main__":
    main()
