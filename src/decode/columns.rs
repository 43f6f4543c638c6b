//! Arrow builders driven straight from a simd-json tape.
//!
//! [`RecordColumns`] is a tree of builders laid out in an arena and compiled from a
//! [`FieldSpec`] list. It consumes one JSON object per row and never builds an
//! intermediate value: strings are appended from the tape, nested JSON kept as text
//! is written from the tape into the builder. Every value finds a home: a column,
//! or `unmapped` (unknown keys, duplicate keys, objects where a string was expected).
//!
//! Invariant: after [`RecordColumns::append_record`] returns, every column has exactly
//! one more slot. It holds whatever the input is, so nothing in here can fail on input.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, ListArray, MapArray, RecordBatch, StringBuilder, StructArray,
    TimestampMillisecondBuilder,
};
use arrow::array::builder::NullBufferBuilder;
use arrow::buffer::{OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, FieldRef, SchemaRef};
use arrow::error::ArrowError;
use simd_json::{Node, StaticNode};

use super::builders::{sized_offsets, FinishSized};
use super::json::{span, write_scalar_text, write_str, write_value};
use super::schema::{field_of, FieldSpec, Kind};
use super::time::parse_timestamp_ms;

const ROOT: usize = 0;

enum Col {
    Str(StringBuilder),
    Json(StringBuilder),
    Bool(BooleanBuilder),
    Ts(TimestampMillisecondBuilder),
    Struct {
        validity: NullBufferBuilder,
        /// Columns of this struct, in schema order.
        children: Vec<usize>,
        /// JSON key (lowercase) -> target column: children and routed extras.
        keys: Vec<(&'static str, usize)>,
    },
    List {
        offsets: Vec<i32>,
        validity: NullBufferBuilder,
        elem: usize,
    },
    Map {
        offsets: Vec<i32>,
        validity: NullBufferBuilder,
        keys: StringBuilder,
        values: StringBuilder,
    },
}

struct Slot {
    col: Col,
    /// Values appended so far.
    len: usize,
    /// The struct (or list) this column belongs to; `usize::MAX` for the root.
    parent: usize,
    field: FieldRef,
    /// For the event-time string: the timestamp column it also fills.
    derived_ts: Option<usize>,
}

/// Builders for one table, filled a JSON object at a time.
pub struct RecordColumns {
    slots: Vec<Slot>,
    schema: SchemaRef,
    ts_column: usize,
    unmapped_column: usize,
    source_key_column: usize,
    /// Path of the object being filled, for `unmapped` keys.
    path: String,
    /// The current row's unmapped entries, without the braces.
    unmapped: String,
    scratch: String,
    num_rows: usize,
}

impl RecordColumns {
    /// Compiles the builder tree for `record` whose batches have `schema`.
    ///
    /// `schema` must be the top-level fields of `record` (non-extras), then the
    /// timestamp column named `ts_name`, the extras in declaration order, then
    /// `unmapped_name` and `source_key_name`: what [`super::schema::cloudtrail_schema`] builds.
    pub fn new(
        record: &'static [FieldSpec],
        schema: SchemaRef,
        ts_name: &str,
        unmapped_name: &str,
        source_key_name: &str,
    ) -> Self {
        let mut this = Self {
            slots: Vec::new(),
            schema: schema.clone(),
            ts_column: 0,
            unmapped_column: 0,
            source_key_column: 0,
            path: String::new(),
            unmapped: String::new(),
            scratch: String::new(),
            num_rows: 0,
        };
        let root_field = Arc::new(arrow::datatypes::Field::new(
            "record",
            DataType::Struct(schema.fields().clone()),
            false,
        ));
        this.slots.push(Slot {
            col: Col::Struct { validity: NullBufferBuilder::new(0), children: vec![], keys: vec![] },
            len: 0,
            parent: usize::MAX,
            field: root_field,
            derived_ts: None,
        });
        // Top-level columns are created in schema order so `children` of the root
        // matches the schema; extras are created when their spec is reached.
        let mut by_name = std::collections::HashMap::new();
        for field in schema.fields() {
            by_name.insert(field.name().as_str(), field.clone());
        }
        let mut root_children = Vec::new();
        let mut pending_extras = Vec::new();
        let mut root_keys = Vec::new();
        for spec in record.iter() {
            let id = this.compile(spec, ROOT, &mut pending_extras);
            root_keys.push((spec.key, id));
            if !spec.extra {
                root_children.push(id);
            }
        }
        this.ts_column = this.leaf(Col::Ts(TimestampMillisecondBuilder::new()), ts_name, &by_name);
        // The event-time string feeds the timestamp column.
        for slot in &mut this.slots {
            if let (Col::Str(_), Some(usize::MAX)) = (&slot.col, slot.derived_ts) {
                slot.derived_ts = Some(this.ts_column);
            }
        }
        root_children.push(this.ts_column);
        for (extra, id) in &pending_extras {
            debug_assert!(by_name.contains_key(extra));
            root_children.push(*id);
        }
        this.unmapped_column = this.leaf(Col::Str(StringBuilder::new()), unmapped_name, &by_name);
        this.source_key_column =
            this.leaf(Col::Str(StringBuilder::new()), source_key_name, &by_name);
        root_children.push(this.unmapped_column);
        root_children.push(this.source_key_column);
        debug_assert_eq!(root_children.len(), schema.fields().len());
        for (&id, field) in root_children.iter().zip(schema.fields()) {
            debug_assert_eq!(this.slots[id].field.name(), field.name());
        }
        if let Col::Struct { children, keys, .. } = &mut this.slots[ROOT].col {
            *children = root_children;
            *keys = root_keys;
        }
        this
    }

    fn leaf(
        &mut self,
        col: Col,
        name: &str,
        by_name: &std::collections::HashMap<&str, FieldRef>,
    ) -> usize {
        let field = by_name.get(name).cloned().unwrap_or_else(|| {
            Arc::new(arrow::datatypes::Field::new(name, DataType::Utf8, true))
        });
        self.slots.push(Slot { col, len: 0, parent: ROOT, field, derived_ts: None });
        self.slots.len() - 1
    }

    /// Adds the column for `spec` under `parent` (the root for extras) and returns its id.
    fn compile(
        &mut self,
        spec: &'static FieldSpec,
        parent: usize,
        extras: &mut Vec<(&'static str, usize)>,
    ) -> usize {
        let parent = if spec.extra { ROOT } else { parent };
        let field: FieldRef = Arc::new(field_of(spec));
        let id = self.slots.len();
        let (col, derived_ts) = match &spec.kind {
            Kind::Str => (Col::Str(StringBuilder::new()), None),
            // Resolved to the timestamp column once it exists.
            Kind::EventTime => (Col::Str(StringBuilder::new()), Some(usize::MAX)),
            Kind::Json => (Col::Json(StringBuilder::new()), None),
            Kind::Bool => (Col::Bool(BooleanBuilder::new()), None),
            Kind::Struct(_) => (
                Col::Struct { validity: NullBufferBuilder::new(0), children: vec![], keys: vec![] },
                None,
            ),
            Kind::ListOfStruct(_) => (
                Col::List { offsets: vec![0], validity: NullBufferBuilder::new(0), elem: 0 },
                None,
            ),
            Kind::MapStr => (
                Col::Map {
                    offsets: vec![0],
                    validity: NullBufferBuilder::new(0),
                    keys: StringBuilder::new(),
                    values: StringBuilder::new(),
                },
                None,
            ),
        };
        self.slots.push(Slot { col, len: 0, parent, field, derived_ts });
        if spec.extra {
            extras.push((spec.column, id));
        }
        match &spec.kind {
            Kind::Struct(children) => self.compile_struct(id, children, extras),
            Kind::ListOfStruct(children) => {
                let elem = self.slots.len();
                let elem_field = match self.slots[id].field.data_type() {
                    DataType::List(item) => item.clone(),
                    _ => unreachable!("a list spec has a list type"),
                };
                self.slots.push(Slot {
                    col: Col::Struct {
                        validity: NullBufferBuilder::new(0),
                        children: vec![],
                        keys: vec![],
                    },
                    len: 0,
                    parent: id,
                    field: elem_field,
                    derived_ts: None,
                });
                self.compile_struct(elem, children, extras);
                if let Col::List { elem: e, .. } = &mut self.slots[id].col {
                    *e = elem;
                }
            }
            _ => {}
        }
        id
    }

    fn compile_struct(
        &mut self,
        id: usize,
        specs: &'static [FieldSpec],
        extras: &mut Vec<(&'static str, usize)>,
    ) {
        let mut children = Vec::new();
        let mut keys = Vec::new();
        for spec in specs {
            let child = self.compile(spec, id, extras);
            keys.push((spec.key, child));
            if !spec.extra {
                children.push(child);
            }
        }
        if let Col::Struct { children: c, keys: k, .. } = &mut self.slots[id].col {
            *c = children;
            *k = keys;
        }
    }

    /// Rows appended since the last [`Self::finish`].
    pub fn num_rows(&self) -> usize {
        self.num_rows
    }

    /// Appends one row from the JSON object at tape index `i`.
    ///
    /// The caller checks that `tape[i]` is an object.
    pub fn append_record(&mut self, tape: &[Node<'_>], i: usize, source_key: &str) {
        debug_assert!(matches!(tape[i], Node::Object { .. }));
        let row = self.slots[ROOT].len;
        self.slots[ROOT].len += 1;
        self.path.clear();
        self.unmapped.clear();
        self.fill_object(ROOT, tape, i);
        if !self.unmapped.is_empty() {
            let id = self.unmapped_column;
            if let Col::Str(b) = &mut self.slots[id].col {
                self.scratch.clear();
                self.scratch.push('{');
                self.scratch.push_str(&self.unmapped);
                self.scratch.push('}');
                b.append_value(&self.scratch);
                self.slots[id].len += 1;
            }
        }
        let id = self.source_key_column;
        if let Col::Str(b) = &mut self.slots[id].col {
            b.append_value(source_key);
            self.slots[id].len += 1;
        }
        self.close_struct(ROOT, row);
        self.num_rows += 1;
    }

    fn fill_object(&mut self, id: usize, tape: &[Node<'_>], i: usize) {
        let Node::Object { len, .. } = tape[i] else { return };
        let mut j = i + 1;
        let mut hint = 0;
        for _ in 0..len {
            let key = match tape[j] {
                Node::String(k) => k,
                _ => "",
            };
            let v = j + 1;
            match self.lookup(id, key, &mut hint) {
                Some(target) => self.put(target, key, tape, v),
                None => self.put_unmapped(key, tape, v),
            }
            j = v + span(tape, v);
        }
    }

    /// Finds the column for `key` in struct `id`. Keys arrive in a stable order in
    /// real logs, so the scan starts after the previous match.
    #[inline]
    fn lookup(&self, id: usize, key: &str, hint: &mut usize) -> Option<usize> {
        let Col::Struct { keys, .. } = &self.slots[id].col else { return None };
        let n = keys.len();
        for k in 0..n {
            let idx = (*hint + k) % n;
            let (name, target) = keys[idx];
            if name.len() == key.len() && name.eq_ignore_ascii_case(key) {
                *hint = idx + 1;
                return Some(target);
            }
        }
        None
    }

    fn put(&mut self, id: usize, key: &str, tape: &[Node<'_>], v: usize) {
        let parent = self.slots[id].parent;
        // A column already filled in this slot means a duplicate key (`ARN` and `arn`).
        if self.slots[id].len != self.slots[parent].len - 1 {
            self.put_unmapped(key, tape, v);
            return;
        }
        let node = tape[v];
        let slot = &mut self.slots[id];
        match &mut slot.col {
            Col::Str(b) => match node {
                Node::String(s) => {
                    b.append_value(s);
                    slot.len += 1;
                    if let Some(ts) = slot.derived_ts {
                        if let Some(ms) = parse_timestamp_ms(s) {
                            if let Col::Ts(t) = &mut self.slots[ts].col {
                                t.append_value(ms);
                                self.slots[ts].len += 1;
                            }
                        }
                    }
                }
                Node::Static(n) => {
                    self.scratch.clear();
                    if write_scalar_text(n, &mut self.scratch) {
                        b.append_value(&self.scratch);
                    } else {
                        b.append_null();
                    }
                    slot.len += 1;
                }
                Node::Object { .. } | Node::Array { .. } => self.put_unmapped(key, tape, v),
            },
            Col::Json(b) => {
                if matches!(node, Node::Static(StaticNode::Null)) {
                    b.append_null();
                } else {
                    self.scratch.clear();
                    write_value(tape, v, &mut self.scratch);
                    b.append_value(&self.scratch);
                }
                slot.len += 1;
            }
            Col::Bool(b) => {
                let value = match node {
                    Node::Static(StaticNode::Bool(x)) => Some(Some(x)),
                    Node::Static(StaticNode::Null) => Some(None),
                    Node::String(s) if s.eq_ignore_ascii_case("true") => Some(Some(true)),
                    Node::String(s) if s.eq_ignore_ascii_case("false") => Some(Some(false)),
                    _ => None,
                };
                match value {
                    Some(x) => {
                        b.append_option(x);
                        slot.len += 1;
                    }
                    None => self.put_unmapped(key, tape, v),
                }
            }
            Col::Ts(_) => self.put_unmapped(key, tape, v),
            Col::Struct { validity, .. } => match node {
                Node::Object { .. } => {
                    validity.append_non_null();
                    slot.len += 1;
                    let slot_index = slot.len - 1;
                    let mark = self.push_path(key);
                    self.fill_object(id, tape, v);
                    self.path.truncate(mark);
                    self.close_struct(id, slot_index);
                }
                Node::Static(StaticNode::Null) => self.append_null(id),
                _ => self.put_unmapped(key, tape, v),
            },
            Col::List { elem, .. } => {
                let elem = *elem;
                match node {
                    Node::Array { len, .. } => {
                        let mark = self.push_path(key);
                        let key_end = self.path.len();
                        let mut j = v + 1;
                        for k in 0..len {
                            match tape[j] {
                                Node::Object { .. } => {
                                    self.push_index(k);
                                    self.open_struct(elem);
                                    let slot_index = self.slots[elem].len - 1;
                                    self.fill_object(elem, tape, j);
                                    self.close_struct(elem, slot_index);
                                }
                                Node::Static(StaticNode::Null) => self.append_null(elem),
                                _ => {
                                    self.append_null(elem);
                                    self.push_index(k);
                                    self.put_unmapped_at_path(tape, j);
                                }
                            }
                            self.path.truncate(key_end);
                            j += span(tape, j);
                        }
                        self.path.truncate(mark);
                        let elem_len = self.slots[elem].len;
                        let slot = &mut self.slots[id];
                        if let Col::List { offsets, validity, .. } = &mut slot.col {
                            offsets.push(offset(elem_len));
                            validity.append_non_null();
                        }
                        slot.len += 1;
                    }
                    Node::Static(StaticNode::Null) => self.append_null(id),
                    _ => self.put_unmapped(key, tape, v),
                }
            }
            Col::Map { offsets, validity, keys, values } => match node {
                Node::Object { len, .. } => {
                    let mut j = v + 1;
                    for _ in 0..len {
                        if let Node::String(k) = tape[j] {
                            keys.append_value(k);
                        }
                        match tape[j + 1] {
                            Node::String(s) => values.append_value(s),
                            Node::Static(StaticNode::Null) => values.append_null(),
                            _ => {
                                self.scratch.clear();
                                write_value(tape, j + 1, &mut self.scratch);
                                values.append_value(&self.scratch);
                            }
                        }
                        j += 1 + span(tape, j + 1);
                    }
                    offsets.push(offset(keys.offsets_slice().len() - 1));
                    validity.append_non_null();
                    slot.len += 1;
                }
                Node::Static(StaticNode::Null) => self.append_null(id),
                _ => self.put_unmapped(key, tape, v),
            },
        }
    }

    fn open_struct(&mut self, id: usize) {
        let slot = &mut self.slots[id];
        if let Col::Struct { validity, .. } = &mut slot.col {
            validity.append_non_null();
        }
        slot.len += 1;
    }

    /// Pads every child of struct `id` not filled in slot `slot_index` with a null.
    fn close_struct(&mut self, id: usize, slot_index: usize) {
        let n = match &self.slots[id].col {
            Col::Struct { children, .. } => children.len(),
            _ => 0,
        };
        for k in 0..n {
            let Some(child) = self.child(id, k) else { return };
            if self.slots[child].len == slot_index {
                self.append_null(child);
            }
        }
    }

    fn append_null(&mut self, id: usize) {
        let slot = &mut self.slots[id];
        slot.len += 1;
        match &mut slot.col {
            Col::Str(b) | Col::Json(b) => b.append_null(),
            Col::Bool(b) => b.append_null(),
            Col::Ts(b) => b.append_null(),
            Col::List { offsets, validity, .. } | Col::Map { offsets, validity, .. } => {
                let last = offsets.last().copied().unwrap_or(0);
                offsets.push(last);
                validity.append_null();
            }
            Col::Struct { validity, children, .. } => {
                validity.append_null();
                let n = children.len();
                for k in 0..n {
                    if let Some(child) = self.child(id, k) {
                        self.append_null(child);
                    }
                }
            }
        }
    }

    /// The `k`-th column of struct `id`.
    #[inline]
    fn child(&self, id: usize, k: usize) -> Option<usize> {
        match &self.slots[id].col {
            Col::Struct { children, .. } => children.get(k).copied(),
            _ => None,
        }
    }

    /// Appends `.key` to the path (or `key` at the root); returns the length to truncate back to.
    fn push_path(&mut self, key: &str) -> usize {
        let mark = self.path.len();
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(key);
        mark
    }

    fn push_index(&mut self, k: usize) {
        use std::fmt::Write as _;
        let _ = write!(self.path, "[{k}]");
    }

    fn put_unmapped(&mut self, key: &str, tape: &[Node<'_>], v: usize) {
        let mark = self.push_path(key);
        self.put_unmapped_at_path(tape, v);
        self.path.truncate(mark);
    }

    fn put_unmapped_at_path(&mut self, tape: &[Node<'_>], v: usize) {
        if !self.unmapped.is_empty() {
            self.unmapped.push(',');
        }
        write_str(&self.path, &mut self.unmapped);
        self.unmapped.push(':');
        write_value(tape, v, &mut self.unmapped);
    }

    /// Takes the rows appended so far as a batch and resets the builders.
    ///
    /// # Errors
    /// Only on a broken internal invariant (column lengths disagree).
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let columns = match &self.slots[ROOT].col {
            Col::Struct { children, .. } => children.clone(),
            _ => vec![],
        };
        let mut arrays = Vec::with_capacity(columns.len());
        for id in columns {
            arrays.push(self.finish_slot(id)?);
        }
        self.slots[ROOT].len = 0;
        let rows = std::mem::take(&mut self.num_rows);
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(rows));
        RecordBatch::try_new_with_options(self.schema.clone(), arrays, &options)
    }

    fn finish_slot(&mut self, id: usize) -> Result<ArrayRef, ArrowError> {
        self.slots[id].len = 0;
        let field = self.slots[id].field.clone();
        let array: ArrayRef = match &mut self.slots[id].col {
            Col::Str(b) | Col::Json(b) => Arc::new(b.finish_sized()),
            Col::Bool(b) => Arc::new(b.finish_sized()),
            Col::Ts(b) => Arc::new(b.finish_sized().with_timezone("UTC")),
            Col::Struct { validity, children, .. } => {
                let nulls = validity.finish();
                let children = children.clone();
                let DataType::Struct(fields) = field.data_type() else {
                    return Err(ArrowError::SchemaError(format!("{} is not a struct", field.name())));
                };
                let fields = fields.clone();
                let mut arrays = Vec::with_capacity(children.len());
                for child in children {
                    arrays.push(self.finish_slot(child)?);
                }
                Arc::new(StructArray::try_new(fields, arrays, nulls)?)
            }
            Col::List { offsets, validity, elem } => {
                let nulls = validity.finish();
                let next = sized_offsets(offsets);
                let offsets = std::mem::replace(offsets, next);
                let elem = *elem;
                let DataType::List(item) = field.data_type() else {
                    return Err(ArrowError::SchemaError(format!("{} is not a list", field.name())));
                };
                let item = item.clone();
                let values = self.finish_slot(elem)?;
                Arc::new(ListArray::try_new(
                    item,
                    OffsetBuffer::new(ScalarBuffer::from(offsets)),
                    values,
                    nulls,
                )?)
            }
            Col::Map { offsets, validity, keys, values } => {
                let nulls = validity.finish();
                let next = sized_offsets(offsets);
                let offsets = std::mem::replace(offsets, next);
                let DataType::Map(entries, sorted) = field.data_type() else {
                    return Err(ArrowError::SchemaError(format!("{} is not a map", field.name())));
                };
                let DataType::Struct(kv) = entries.data_type() else {
                    return Err(ArrowError::SchemaError(format!("{} entries", field.name())));
                };
                let kv_array = StructArray::try_new(
                    kv.clone(),
                    vec![Arc::new(keys.finish_sized()) as ArrayRef, Arc::new(values.finish_sized())],
                    None,
                )?;
                Arc::new(MapArray::try_new(
                    entries.clone(),
                    OffsetBuffer::new(ScalarBuffer::from(offsets)),
                    kv_array,
                    nulls,
                    *sorted,
                )?)
            }
        };
        Ok(array)
    }

    /// Approximate bytes held by the builders (for batch sizing).
    pub fn memory_bytes(&self) -> usize {
        self.slots
            .iter()
            .map(|s| match &s.col {
                Col::Str(b) | Col::Json(b) => b.values_slice().len() + b.offsets_slice().len() * 4,
                Col::Map { keys, values, .. } => {
                    keys.values_slice().len() + values.values_slice().len()
                }
                _ => s.len,
            })
            .sum()
    }
}

fn offset(n: usize) -> i32 {
    // A batch is capped far below 2^31 values by the decoder's batch sizing.
    i32::try_from(n).unwrap_or(i32::MAX)
}
