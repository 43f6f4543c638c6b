//! Table schemas, declared once and used by the decoder, the writer and the DDL.
//!
//! The `cloudtrail` table holds every column of the AWS-documented Athena CloudTrail
//! table with the same lowercase name and Hive type, then typed extras that table
//! lacks, then provenance. Extras declared inside a nested object (`sourceIdentity`
//! under `userIdentity.sessionContext`) become top-level columns, so the documented
//! struct types stay exactly as AWS declares them.

use std::sync::{Arc, LazyLock};

use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

/// How one JSON key is decoded.
#[derive(Debug)]
pub enum Kind {
    /// A string column. Numbers and booleans are kept as their text; objects and
    /// arrays go to `unmapped`.
    Str,
    /// A string column holding the value as JSON text (any JSON type).
    Json,
    /// A boolean column; accepts JSON booleans and the strings `true`/`false` in any case.
    Bool,
    /// The `eventtime` string, which also feeds the typed [`EVENT_TIME_TS`] column.
    EventTime,
    /// A struct column.
    Struct(&'static [FieldSpec]),
    /// An array of structs.
    ListOfStruct(&'static [FieldSpec]),
    /// A `map<string,string>`; non-string values are kept as JSON text.
    MapStr,
}

/// One JSON key and the column it fills.
#[derive(Debug)]
pub struct FieldSpec {
    /// Column (or struct field) name: lowercase.
    pub column: &'static str,
    /// The JSON key; matched exactly first, then ignoring ASCII case.
    pub key: &'static str,
    pub kind: Kind,
    /// A top-level extra column, wherever the key sits in the JSON.
    pub extra: bool,
}

const fn f(column: &'static str, key: &'static str, kind: Kind) -> FieldSpec {
    FieldSpec { column, key, kind, extra: false }
}

const fn x(column: &'static str, key: &'static str, kind: Kind) -> FieldSpec {
    FieldSpec { column, key, kind, extra: true }
}

use Kind::{Bool, EventTime, Json, ListOfStruct, MapStr, Str, Struct};

const ATTRIBUTES: &[FieldSpec] = &[
    f("mfaauthenticated", "mfaAuthenticated", Str),
    f("creationdate", "creationDate", Str),
];
const SESSION_ISSUER: &[FieldSpec] = &[
    f("type", "type", Str),
    f("principalid", "principalId", Str),
    f("arn", "arn", Str),
    f("accountid", "accountId", Str),
    f("username", "userName", Str),
];
const WEB_ID_FEDERATION_DATA: &[FieldSpec] =
    &[f("federatedprovider", "federatedProvider", Str), f("attributes", "attributes", MapStr)];
const SESSION_CONTEXT: &[FieldSpec] = &[
    f("attributes", "attributes", Struct(ATTRIBUTES)),
    f("sessionissuer", "sessionIssuer", Struct(SESSION_ISSUER)),
    f("ec2roledelivery", "ec2RoleDelivery", Str),
    f("webidfederationdata", "webIdFederationData", Struct(WEB_ID_FEDERATION_DATA)),
    x("sourceidentity", "sourceIdentity", Str),
    x("assumedroot", "assumedRoot", Str),
];
const ON_BEHALF_OF: &[FieldSpec] =
    &[f("userid", "userId", Str), f("identitystorearn", "identityStoreArn", Str)];
const IN_SCOPE_OF: &[FieldSpec] = &[
    f("sourcearn", "sourceArn", Str),
    f("sourceaccount", "sourceAccount", Str),
    f("issuertype", "issuerType", Str),
    f("credentialsissuedto", "credentialsIssuedTo", Str),
];
const INVOKED_BY_DELEGATE: &[FieldSpec] = &[f("accountid", "accountId", Str)];
const USER_IDENTITY: &[FieldSpec] = &[
    f("type", "type", Str),
    f("principalid", "principalId", Str),
    f("arn", "arn", Str),
    f("accountid", "accountId", Str),
    f("invokedby", "invokedBy", Str),
    f("accesskeyid", "accessKeyId", Str),
    f("username", "userName", Str),
    f("onbehalfof", "onBehalfOf", Struct(ON_BEHALF_OF)),
    f("sessioncontext", "sessionContext", Struct(SESSION_CONTEXT)),
    x("credentialid", "credentialId", Str),
    x("identityprovider", "identityProvider", Str),
    x("inscopeof", "inScopeOf", Struct(IN_SCOPE_OF)),
    x("invokedbydelegate", "invokedByDelegate", Struct(INVOKED_BY_DELEGATE)),
];
const RESOURCE: &[FieldSpec] =
    &[f("arn", "ARN", Str), f("accountid", "accountId", Str), f("type", "type", Str)];
const ADDENDUM: &[FieldSpec] = &[
    f("reason", "reason", Str),
    f("updatedfields", "updatedFields", Str),
    f("originalrequestid", "originalRequestID", Str),
    f("originaleventid", "originalEventID", Str),
];
const TLS_DETAILS: &[FieldSpec] = &[
    f("tlsversion", "tlsVersion", Str),
    f("ciphersuite", "cipherSuite", Str),
    f("clientprovidedhostheader", "clientProvidedHostHeader", Str),
    x("tlskeyexchange", "keyExchange", Str),
];

/// One CloudTrail record (an entry of `Records`).
pub const CLOUDTRAIL_RECORD: &[FieldSpec] = &[
    f("eventversion", "eventVersion", Str),
    f("useridentity", "userIdentity", Struct(USER_IDENTITY)),
    f("eventtime", "eventTime", EventTime),
    f("eventsource", "eventSource", Str),
    f("eventname", "eventName", Str),
    f("awsregion", "awsRegion", Str),
    f("sourceipaddress", "sourceIPAddress", Str),
    f("useragent", "userAgent", Str),
    f("errorcode", "errorCode", Str),
    f("errormessage", "errorMessage", Str),
    f("requestparameters", "requestParameters", Json),
    f("responseelements", "responseElements", Json),
    f("additionaleventdata", "additionalEventData", Json),
    f("requestid", "requestID", Str),
    f("eventid", "eventID", Str),
    f("resources", "resources", ListOfStruct(RESOURCE)),
    f("eventtype", "eventType", Str),
    f("apiversion", "apiVersion", Str),
    f("readonly", "readOnly", Str),
    f("recipientaccountid", "recipientAccountId", Str),
    f("serviceeventdetails", "serviceEventDetails", Json),
    f("sharedeventid", "sharedEventID", Str),
    f("vpcendpointid", "vpcEndpointId", Str),
    f("vpcendpointaccountid", "vpcEndpointAccountId", Str),
    f("eventcategory", "eventCategory", Str),
    f("addendum", "addendum", Struct(ADDENDUM)),
    f("sessioncredentialfromconsole", "sessionCredentialFromConsole", Str),
    f("edgedevicedetails", "edgeDeviceDetails", Json),
    f("tlsdetails", "tlsDetails", Struct(TLS_DETAILS)),
    x("managementevent", "managementEvent", Bool),
    x("insightdetails", "insightDetails", Json),
    x("eventcontext", "eventContext", Json),
    x("annotation", "annotation", Str),
];

/// `eventTime` as `Timestamp(Millisecond, "UTC")`; null when the text is not a timestamp.
pub const EVENT_TIME_TS: &str = "eventtime_ts";
/// JSON object of every value the schema has no column for, keyed by its path in
/// the record (`p_log_type`, `userIdentity.accesKeyId`, `resources[1].ARNPrefix`).
pub const UNMAPPED: &str = "unmapped";
/// The object key (or local path) the record was read from.
pub const SOURCE_KEY: &str = "source_key";
/// Hive partition column of every lake table: the UTC event date `YYYY-MM-DD`.
pub const PARTITION_COLUMN: &str = "dt";

/// The Hive partition value for rows without a usable event time.
pub const NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// The Arrow type of the event-time column of every table.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

/// The Arrow field a spec entry produces.
pub fn field_of(spec: &FieldSpec) -> Field {
    Field::new(spec.column, data_type_of(&spec.kind), true)
}

/// Child fields of a struct spec, without the top-level extras declared inside it.
pub fn struct_fields(specs: &[FieldSpec]) -> Fields {
    specs.iter().filter(|s| !s.extra).map(field_of).collect()
}

/// The Arrow type of a map<string,string>, with the Parquet-standard names.
pub fn map_type() -> DataType {
    let entries = Field::new(
        "key_value",
        DataType::Struct(
            vec![Field::new("key", DataType::Utf8, false), Field::new("value", DataType::Utf8, true)]
                .into(),
        ),
        false,
    );
    DataType::Map(Arc::new(entries), false)
}

fn data_type_of(kind: &Kind) -> DataType {
    match kind {
        Str | Json | EventTime => DataType::Utf8,
        Bool => DataType::Boolean,
        Struct(specs) => DataType::Struct(struct_fields(specs)),
        // "element" is the Parquet LIST element name that every reader expects.
        ListOfStruct(specs) => DataType::List(Arc::new(Field::new(
            "element",
            DataType::Struct(struct_fields(specs)),
            true,
        ))),
        MapStr => map_type(),
    }
}

/// Top-level extras in declaration order (depth first).
pub fn extras(specs: &'static [FieldSpec], out: &mut Vec<&'static FieldSpec>) {
    for spec in specs {
        if spec.extra {
            out.push(spec);
        }
        match &spec.kind {
            Struct(children) | ListOfStruct(children) => extras(children, out),
            _ => {}
        }
    }
}

/// The `cloudtrail` table schema (without the `dt` partition column).
pub fn cloudtrail_schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        let mut fields: Vec<Field> =
            CLOUDTRAIL_RECORD.iter().filter(|s| !s.extra).map(field_of).collect();
        fields.push(Field::new(EVENT_TIME_TS, timestamp_type(), true));
        let mut extra = Vec::new();
        extras(CLOUDTRAIL_RECORD, &mut extra);
        fields.extend(extra.into_iter().map(field_of));
        fields.push(Field::new(UNMAPPED, DataType::Utf8, true));
        fields.push(Field::new(SOURCE_KEY, DataType::Utf8, true));
        Arc::new(Schema::new(fields))
    });
    SCHEMA.clone()
}

/// The Hive/Athena DDL type of an Arrow type, for the types the lake writes.
///
/// Returns `None` for a type Athena cannot read from Parquet as written (unsigned
/// integers, Date64, non-millisecond timestamps, ...): the writer must never use those.
pub fn hive_type(dt: &DataType) -> Option<String> {
    Some(match dt {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "string".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Int8 => "tinyint".into(),
        DataType::Int16 => "smallint".into(),
        DataType::Int32 => "int".into(),
        DataType::Int64 => "bigint".into(),
        DataType::Float32 => "float".into(),
        DataType::Float64 => "double".into(),
        DataType::Binary | DataType::LargeBinary => "binary".into(),
        DataType::Date32 => "date".into(),
        DataType::Timestamp(TimeUnit::Millisecond, _) => "timestamp".into(),
        DataType::List(item) | DataType::LargeList(item) => {
            format!("array<{}>", hive_type(item.data_type())?)
        }
        DataType::Struct(fields) => {
            let mut parts = Vec::with_capacity(fields.len());
            for field in fields {
                parts.push(format!("{}:{}", field.name(), hive_type(field.data_type())?));
            }
            format!("struct<{}>", parts.join(","))
        }
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => {
                format!("map<{},{}>", hive_type(kv[0].data_type())?, hive_type(kv[1].data_type())?)
            }
            _ => return None,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudtrail_schema_is_lowercase_unique_and_hive_typed() {
        let schema = cloudtrail_schema();
        let mut seen = std::collections::HashSet::new();
        for field in schema.fields() {
            let name = field.name();
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name}"
            );
            assert!(seen.insert(name.clone()), "duplicate column {name}");
            assert!(hive_type(field.data_type()).is_some(), "{name} has no Hive type");
        }
        assert_eq!(
            hive_type(schema.field_with_name("resources").expect("resources").data_type())
                .as_deref(),
            Some("array<struct<arn:string,accountid:string,type:string>>")
        );
        assert_eq!(
            schema.field_with_name(EVENT_TIME_TS).expect("ts").data_type(),
            &timestamp_type()
        );
    }
}
