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

The output is seeded and deterministic: the same --seed and --scale give
byte-identical files (random.Random(seed), gzip mtime 0, ordered iteration).
--scale K multiplies the background volume; the scenarios stay the same.

Regenerate (from the repository root, standard library only):
    python3 scripts/gen-sample-trail.py                # seed 7, scale 1
    python3 scripts/gen-sample-trail.py --out DIR --seed N --scale K
It deletes and recreates DIR/AWSLogs and rewrites DIR/_expected.json.
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
import uuid
from collections import defaultdict
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
        self.write_expected(out, files, digest, insight)
        return {"files": files, "digest": digest, "insight": insight}

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

    def write_expected(self, out: Path, files, digest, insight) -> None:
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
        }
        (out / "_expected.json").write_text(json.dumps(doc, indent=2) + "\n")


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


if __name__ == "__main__":
    main()
