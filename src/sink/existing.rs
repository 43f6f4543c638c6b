//! The lake's own files read back by a writing run: which source objects a file holds,
//! and the rows a superseding run carries over from a file it replaces.
//!
//! Both read through the object store with range requests: the source keys are one
//! dictionary-encoded column, so a file's footer and that column are all that is fetched.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{AsArray, BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::datatypes::SchemaRef;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::{AsyncFileReader, ParquetRecordBatchStream, ParquetRecordBatchStreamBuilder};
use parquet::arrow::ProjectionMask;
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};

use crate::decode::schema::SOURCE_KEY;
use crate::error::{Error, Result};

fn parquet_error(key: &str, e: impl std::fmt::Display) -> Error {
    Error::Pipeline(format!("reading back the lake file {key}: {e}"))
}

/// A lake file read with range requests.
struct StoreFile {
    store: Arc<dyn ObjectStore>,
    path: Path,
    size: u64,
}

fn external(e: object_store::Error) -> ParquetError {
    ParquetError::External(Box::new(e))
}

impl AsyncFileReader for StoreFile {
    fn get_bytes(&mut self, range: std::ops::Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move { self.store.get_range(&self.path, range).await.map_err(external) }.boxed()
    }

    fn get_byte_ranges(&mut self, ranges: Vec<std::ops::Range<u64>>) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        async move { self.store.get_ranges(&self.path, &ranges).await.map_err(external) }.boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.size;
            let metadata = ParquetMetaDataReader::new().with_arrow_reader_options(options).load_and_finish(self, size).await?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}

async fn open(store: &Arc<dyn ObjectStore>, key: &str) -> Result<ParquetRecordBatchStreamBuilder<StoreFile>> {
    let path = Path::from(key);
    let size = store.head(&path).await.map_err(|e| parquet_error(key, e))?.size;
    let reader = StoreFile { store: store.clone(), path, size };
    ParquetRecordBatchStreamBuilder::new(reader).await.map_err(|e| parquet_error(key, e))
}

/// The distinct source object keys of a lake file.
///
/// # Errors
/// An unreadable file, or one without a `source_key` column.
pub async fn source_keys(store: &Arc<dyn ObjectStore>, key: &str) -> Result<HashSet<String>> {
    let builder = open(store, key).await?;
    let mask = ProjectionMask::columns(builder.parquet_schema(), [SOURCE_KEY]);
    let mut stream = builder.with_projection(mask).build().map_err(|e| parquet_error(key, e))?;
    let mut keys = HashSet::new();
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| parquet_error(key, e))?;
        let column = batch
            .column_by_name(SOURCE_KEY)
            .ok_or_else(|| parquet_error(key, "no source_key column"))?;
        let Some(values) = column.as_string_opt::<i32>() else {
            return Err(parquet_error(key, "source_key is not a string column"));
        };
        for v in values.iter().flatten() {
            if !keys.contains(v) {
                keys.insert(v.to_string());
            }
        }
    }
    Ok(keys)
}

/// The rows of a lake file, batch by batch, for carrying over.
pub struct CarryOver {
    key: String,
    stream: ParquetRecordBatchStream<StoreFile>,
}

impl CarryOver {
    /// Opens `key`, whose schema must be `schema` (this version's table schema).
    ///
    /// # Errors
    /// An unreadable file or a different schema.
    pub async fn open(store: &Arc<dyn ObjectStore>, key: &str, schema: &SchemaRef) -> Result<Self> {
        let builder = open(store, key).await?;
        if builder.schema().fields() != schema.fields() {
            return Err(parquet_error(
                key,
                "its columns differ from this version's table; rewrite the slice with the version that wrote it, or start a new lake",
            ));
        }
        let stream = builder.with_batch_size(8192).build().map_err(|e| parquet_error(key, e))?;
        Ok(Self { key: key.to_string(), stream })
    }

    /// The next batch's rows whose source object is not in `replaced`, as `schema`
    /// (the file's schema with the field metadata of this version's).
    ///
    /// # Errors
    /// An unreadable file.
    pub async fn next(&mut self, replaced: &HashSet<String>, schema: &SchemaRef) -> Result<Option<RecordBatch>> {
        let Some(batch) = self.stream.next().await else { return Ok(None) };
        let batch = batch.map_err(|e| parquet_error(&self.key, e))?;
        let Some(keys) = batch.column_by_name(SOURCE_KEY).and_then(|c| c.as_string_opt::<i32>()) else {
            return Err(parquet_error(&self.key, "no source_key column"));
        };
        let keep: BooleanArray = keys.iter().map(|k| Some(!k.is_some_and(|k| replaced.contains(k)))).collect();
        let kept = filter_record_batch(&batch, &keep)?;
        Ok(Some(RecordBatch::try_new(schema.clone(), kept.columns().to_vec())?))
    }
}
