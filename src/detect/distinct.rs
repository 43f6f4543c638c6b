//! Grouped `count(DISTINCT x)` and `array_agg(DISTINCT x)` without an accumulator object per group.
//!
//! DataFusion runs these two through its per-group adapter: one accumulator (with its own
//! hash table) per group, and per batch a slice of the input arrays per group. A rule
//! grouping 100 K events by hour, principal and bucket spent a third of the pack's CPU
//! there (allocating and freeing those tables). [`register`] replaces the `count` and
//! `array_agg` functions with wrappers that are the built-in functions in every respect
//! (signature, types, state, plain and window use) except one: for a DISTINCT over a
//! single non-dictionary column, without ORDER BY, the grouped aggregation uses
//! [`DistinctGroups`]: one hash table of (group, value) pairs for all groups, values kept
//! in the Arrow row format in one buffer, each group's values in a list through it. The
//! state it exchanges between the partial and final phases is the built-in one (a list of
//! the group's distinct values), so either side may be the built-in accumulator.

use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array, ListArray, UInt32Array};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::compute::{cast, take};
use arrow::datatypes::{DataType, Field, FieldRef};
use arrow::row::{RowConverter, Rows, SortField};
use datafusion::common::hash_utils::RandomState;
use datafusion::common::Result;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::function::{AccumulatorArgs, AggregateFunctionSimplification, StateFieldsArgs};
use datafusion::logical_expr::utils::AggregateOrderSensitivity;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Documentation, EmitTo, GroupsAccumulator, ReversedUDAF,
    SetMonotonicity, Signature, StatisticsArgs,
};
use datafusion::execution::FunctionRegistry;
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use hashbrown::HashTable;

/// The aggregate a wrapper speeds up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// `count(DISTINCT x)`: the number of distinct non-null values (0 for none).
    Count,
    /// `array_agg(DISTINCT x)`: the distinct values (null included unless IGNORE NULLS),
    /// in first-seen order; null for a group without values.
    ArrayAgg,
}

/// Replaces `count` and `array_agg` on `ctx` with their faster-DISTINCT wrappers.
pub fn register(ctx: &SessionContext) {
    for (name, kind) in [("count", Kind::Count), ("array_agg", Kind::ArrayAgg)] {
        if let Ok(builtin) = ctx.udaf(name) {
            let inner = builtin.inner().clone();
            ctx.register_udaf(AggregateUDF::new_from_shared_impl(Arc::new(FastDistinct { inner, kind })));
        }
    }
}

/// A built-in aggregate with a grouped DISTINCT accumulator of ours.
#[derive(Debug)]
struct FastDistinct {
    inner: Arc<dyn AggregateUDFImpl>,
    kind: Kind,
}

impl PartialEq for FastDistinct {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.inner.name() == other.inner.name()
    }
}

impl Eq for FastDistinct {}

impl Hash for FastDistinct {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
        self.inner.name().hash(state);
    }
}

impl FastDistinct {
    fn wrap(&self, inner: Arc<dyn AggregateUDFImpl>) -> Self {
        Self { inner, kind: self.kind }
    }

    /// Whether our accumulator takes this call: DISTINCT over one column of a type the
    /// row format holds, no ORDER BY, no dictionary (whose state type differs), and for
    /// count not an integer (the built-in one is native there).
    fn takes(&self, args: &AccumulatorArgs) -> bool {
        if !args.is_distinct || args.exprs.len() != 1 || !args.order_bys.is_empty() || args.expr_fields.len() != 1 {
            return false;
        }
        let data_type = args.expr_fields[0].data_type();
        if matches!(data_type, DataType::Dictionary(..)) || !RowConverter::supports_fields(&[SortField::new(data_type.clone())]) {
            return false;
        }
        match self.kind {
            Kind::Count => !data_type.is_integer(),
            Kind::ArrayAgg => true,
        }
    }
}

impl AggregateUDFImpl for FastDistinct {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn schema_name(&self, params: &datafusion::logical_expr::expr::AggregateFunctionParams) -> Result<String> {
        self.inner.schema_name(params)
    }

    fn human_display(&self, params: &datafusion::logical_expr::expr::AggregateFunctionParams) -> Result<String> {
        self.inner.human_display(params)
    }

    fn window_function_schema_name(&self, params: &datafusion::logical_expr::expr::WindowFunctionParams) -> Result<String> {
        self.inner.window_function_schema_name(params)
    }

    fn display_name(&self, params: &datafusion::logical_expr::expr::AggregateFunctionParams) -> Result<String> {
        self.inner.display_name(params)
    }

    fn window_function_display_name(&self, params: &datafusion::logical_expr::expr::WindowFunctionParams) -> Result<String> {
        self.inner.window_function_display_name(params)
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field(&self, arg_fields: &[FieldRef]) -> Result<FieldRef> {
        self.inner.return_field(arg_fields)
    }

    fn is_nullable(&self) -> bool {
        self.inner.is_nullable()
    }

    fn accumulator(&self, acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        self.inner.accumulator(acc_args)
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        self.inner.state_fields(args)
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        self.takes(&args) || self.inner.groups_accumulator_supported(args)
    }

    fn create_groups_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        if !self.takes(&args) {
            return self.inner.create_groups_accumulator(args);
        }
        let data_type = args.expr_fields[0].data_type().clone();
        let output = match self.kind {
            Kind::Count => Output::Count,
            Kind::ArrayAgg => match args.return_field.data_type() {
                DataType::List(item) => Output::List { item: item.clone() },
                other => return Err(DataFusionError::Internal(format!("array_agg returns {other}, not a list"))),
            },
        };
        let skip_nulls = match self.kind {
            Kind::Count => true,
            Kind::ArrayAgg => args.ignore_nulls && args.expr_fields[0].is_nullable(),
        };
        Ok(Box::new(DistinctGroups::try_new(data_type, output, skip_nulls)?))
    }

    fn create_sliding_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        self.inner.create_sliding_accumulator(args)
    }

    fn with_beneficial_ordering(self: Arc<Self>, beneficial_ordering: bool) -> Result<Option<Arc<dyn AggregateUDFImpl>>> {
        Ok(self
            .inner
            .clone()
            .with_beneficial_ordering(beneficial_ordering)?
            .map(|inner| Arc::new(self.wrap(inner)) as Arc<dyn AggregateUDFImpl>))
    }

    fn order_sensitivity(&self) -> AggregateOrderSensitivity {
        self.inner.order_sensitivity()
    }

    fn simplify(&self) -> Option<AggregateFunctionSimplification> {
        self.inner.simplify()
    }

    fn simplify_expr_op_literal(
        &self,
        agg_function: &datafusion::logical_expr::expr::AggregateFunction,
        arg: &datafusion::logical_expr::Expr,
        op: datafusion::logical_expr::Operator,
        lit: &datafusion::logical_expr::Expr,
        arg_is_left: bool,
    ) -> Result<Option<datafusion::logical_expr::Expr>> {
        self.inner.simplify_expr_op_literal(agg_function, arg, op, lit, arg_is_left)
    }

    fn reverse_expr(&self) -> ReversedUDAF {
        match self.inner.reverse_expr() {
            ReversedUDAF::Reversed(udf) => {
                ReversedUDAF::Reversed(Arc::new(AggregateUDF::new_from_shared_impl(Arc::new(self.wrap(udf.inner().clone())))))
            }
            other => other,
        }
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn is_descending(&self) -> Option<bool> {
        self.inner.is_descending()
    }

    fn value_from_stats(&self, statistics_args: &StatisticsArgs) -> Option<ScalarValue> {
        self.inner.value_from_stats(statistics_args)
    }

    fn default_value(&self, data_type: &DataType) -> Result<ScalarValue> {
        self.inner.default_value(data_type)
    }

    fn supports_null_handling_clause(&self) -> bool {
        self.inner.supports_null_handling_clause()
    }

    fn supports_within_group_clause(&self) -> bool {
        self.inner.supports_within_group_clause()
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }

    fn set_monotonicity(&self, data_type: &DataType) -> SetMonotonicity {
        self.inner.set_monotonicity(data_type)
    }
}

/// What a group evaluates to.
enum Output {
    Count,
    /// A list of `item`s, null for a group without values.
    List { item: FieldRef },
}

const NONE: u32 = u32::MAX;

/// One distinct value of one group.
struct Entry {
    hash: u64,
    group: u32,
    /// The group's next entry, or [`NONE`].
    next: u32,
    /// The value's row-format bytes in [`DistinctGroups::bytes`].
    start: usize,
    end: usize,
}

/// A group's entries, as a list through [`Entry::next`].
#[derive(Clone, Copy)]
struct GroupList {
    head: u32,
    tail: u32,
    len: u32,
}

const EMPTY: GroupList = GroupList { head: NONE, tail: NONE, len: 0 };

/// The distinct values of every group (see the module docs).
struct DistinctGroups {
    data_type: DataType,
    output: Output,
    skip_nulls: bool,
    converter: RowConverter,
    random: RandomState,
    /// Entry ids, by (group, value).
    table: HashTable<u32>,
    entries: Vec<Entry>,
    bytes: Vec<u8>,
    groups: Vec<GroupList>,
    /// Row-format scratch for one input batch.
    scratch: Rows,
}

impl DistinctGroups {
    fn try_new(data_type: DataType, output: Output, skip_nulls: bool) -> Result<Self> {
        let converter = RowConverter::new(vec![SortField::new(data_type.clone())])?;
        let scratch = converter.empty_rows(0, 0);
        Ok(Self {
            data_type,
            output,
            skip_nulls,
            converter,
            random: RandomState::default(),
            table: HashTable::new(),
            entries: Vec::new(),
            bytes: Vec::new(),
            groups: Vec::new(),
            scratch,
        })
    }

    /// Adds `values[i]` to group `group_of(i)` for the rows `keep(i)` says.
    fn add(&mut self, values: &ArrayRef, groups: impl Fn(usize) -> usize, keep: impl Fn(usize) -> bool, total_num_groups: usize) -> Result<()> {
        if self.groups.len() < total_num_groups {
            self.groups.resize(total_num_groups, EMPTY);
        }
        let values = if values.data_type() == &self.data_type { values.clone() } else { cast(values, &self.data_type)? };
        let mut scratch = std::mem::replace(&mut self.scratch, self.converter.empty_rows(0, 0));
        scratch.clear();
        self.converter.append(&mut scratch, &[values.clone()])?;
        // Logical nulls: a NullArray (count(DISTINCT NULL)) has no validity buffer.
        let nulls = values.logical_nulls();
        for i in 0..values.len() {
            if !keep(i) || (self.skip_nulls && nulls.as_ref().is_some_and(|n| n.is_null(i))) {
                continue;
            }
            self.insert(groups(i), scratch.row(i).as_ref());
        }
        self.scratch = scratch;
        Ok(())
    }

    fn insert(&mut self, group: usize, value: &[u8]) {
        let group = group as u32;
        let hash = self.random.hash_one((group, value));
        let (entries, bytes) = (&self.entries, &self.bytes);
        let found = self.table.find(hash, |&id| {
            let e = &entries[id as usize];
            e.hash == hash && e.group == group && &bytes[e.start..e.end] == value
        });
        if found.is_some() {
            return;
        }
        let id = self.entries.len() as u32;
        let start = self.bytes.len();
        self.bytes.extend_from_slice(value);
        self.entries.push(Entry { hash, group, next: NONE, start, end: self.bytes.len() });
        let entries = &self.entries;
        self.table.insert_unique(hash, id, |&id| entries[id as usize].hash);
        let list = &mut self.groups[group as usize];
        if list.tail == NONE {
            list.head = id;
        } else {
            self.entries[list.tail as usize].next = id;
        }
        list.tail = id;
        list.len += 1;
    }

    /// Takes the first `emit_to` groups out: their lists' lengths and their values in
    /// group order (as one array); the groups after them are renumbered from 0.
    fn take(&mut self, emit_to: EmitTo) -> Result<(Vec<u32>, ArrayRef)> {
        let n = match emit_to {
            EmitTo::All => self.groups.len(),
            EmitTo::First(n) => n.min(self.groups.len()),
        };
        let lens: Vec<u32> = self.groups[..n].iter().map(|g| g.len).collect();
        let values = {
            let parser = self.converter.parser();
            let mut rows = Vec::with_capacity(lens.iter().map(|&l| l as usize).sum());
            for g in &self.groups[..n] {
                let mut id = g.head;
                while id != NONE {
                    let e = &self.entries[id as usize];
                    rows.push(parser.parse(&self.bytes[e.start..e.end]));
                    id = e.next;
                }
            }
            let mut columns = self.converter.convert_rows(rows)?;
            let column = columns.pop().ok_or_else(|| DataFusionError::Internal("row converter returned no column".into()))?;
            if column.data_type() == &self.data_type { column } else { cast(&column, &self.data_type)? }
        };
        if n == self.groups.len() {
            self.table.clear();
            self.entries.clear();
            self.bytes.clear();
            self.groups.clear();
        } else {
            // Rebuild with the remaining groups only (EmitTo::First is rare: sorted input, spills).
            let old_entries = std::mem::take(&mut self.entries);
            let old_bytes = std::mem::take(&mut self.bytes);
            let remaining: Vec<GroupList> = self.groups.split_off(n);
            self.table.clear();
            self.groups = vec![EMPTY; remaining.len()];
            for (g, list) in remaining.iter().enumerate() {
                let mut id = list.head;
                while id != NONE {
                    let e = &old_entries[id as usize];
                    self.insert(g, &old_bytes[e.start..e.end]);
                    id = e.next;
                }
            }
        }
        Ok((lens, values))
    }

    /// The groups' values as a list array of `item`s; `empty_is_null` makes groups without
    /// values null rather than empty lists.
    fn lists(lens: &[u32], values: ArrayRef, item: FieldRef, empty_is_null: bool) -> Result<ArrayRef> {
        let offsets = OffsetBuffer::from_lengths(lens.iter().map(|&l| l as usize));
        let nulls = empty_is_null.then(|| NullBuffer::from(lens.iter().map(|&l| l > 0).collect::<Vec<bool>>()));
        Ok(Arc::new(ListArray::try_new(item, offsets, values, nulls)?))
    }

    fn state_item(&self) -> FieldRef {
        Arc::new(Field::new_list_field(self.data_type.clone(), true))
    }
}

impl GroupsAccumulator for DistinctGroups {
    fn update_batch(&mut self, values: &[ArrayRef], group_indices: &[usize], opt_filter: Option<&BooleanArray>, total_num_groups: usize) -> Result<()> {
        let keep = |i: usize| opt_filter.is_none_or(|f| f.is_valid(i) && f.value(i));
        self.add(&values[0], |i| group_indices[i], keep, total_num_groups)
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let (lens, values) = self.take(emit_to)?;
        match &self.output {
            Output::Count => Ok(Arc::new(lens.iter().map(|&l| i64::from(l)).collect::<Int64Array>())),
            Output::List { item } => Self::lists(&lens, values, item.clone(), true),
        }
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let (lens, values) = self.take(emit_to)?;
        let empty_is_null = matches!(self.output, Output::List { .. });
        Ok(vec![Self::lists(&lens, values, self.state_item(), empty_is_null)?])
    }

    fn merge_batch(&mut self, values: &[ArrayRef], group_indices: &[usize], total_num_groups: usize) -> Result<()> {
        let lists = values[0].as_list::<i32>();
        let offsets = lists.value_offsets();
        let (first, last) = (offsets[0] as usize, offsets[lists.len()] as usize);
        let flat = lists.values().slice(first, last - first);
        // Each flattened value's group: the group of its list (values of null lists are skipped).
        let mut group_of = vec![0usize; flat.len()];
        let mut keep = vec![false; flat.len()];
        for (row, &group) in group_indices.iter().enumerate() {
            if lists.is_null(row) {
                continue;
            }
            for j in offsets[row] as usize - first..offsets[row + 1] as usize - first {
                group_of[j] = group;
                keep[j] = true;
            }
        }
        self.add(&flat, |i| group_of[i], |i| keep[i], total_num_groups)
    }

    fn convert_to_state(&self, values: &[ArrayRef], opt_filter: Option<&BooleanArray>) -> Result<Vec<ArrayRef>> {
        let values = &values[0];
        let nulls = values.logical_nulls();
        let kept: Vec<bool> = (0..values.len())
            .map(|i| opt_filter.is_none_or(|f| f.is_valid(i) && f.value(i)) && !(self.skip_nulls && nulls.as_ref().is_some_and(|n| n.is_null(i))))
            .collect();
        let indices: UInt32Array = kept.iter().enumerate().filter(|(_, k)| **k).map(|(i, _)| i as u32).collect();
        let flat = take(values.as_ref(), &indices, None)?;
        let flat = if flat.data_type() == &self.data_type { flat } else { cast(&flat, &self.data_type)? };
        let lens: Vec<u32> = kept.iter().map(|&k| u32::from(k)).collect();
        let empty_is_null = matches!(self.output, Output::List { .. });
        Ok(vec![Self::lists(&lens, flat, self.state_item(), empty_is_null)?])
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.table.capacity() * std::mem::size_of::<u32>()
            + self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.bytes.capacity()
            + self.groups.capacity() * std::mem::size_of::<GroupList>()
            + self.scratch.size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{StringArray, StringViewArray};

    fn strings(values: &[Option<&str>]) -> ArrayRef {
        Arc::new(values.iter().copied().collect::<StringArray>())
    }

    fn list_rows(a: &ArrayRef) -> Vec<Option<Vec<Option<String>>>> {
        let l = a.as_list::<i32>();
        (0..l.len())
            .map(|i| {
                (!l.is_null(i)).then(|| {
                    let v = cast(&l.value(i), &DataType::Utf8).unwrap();
                    v.as_string::<i32>().iter().map(|s| s.map(str::to_string)).collect()
                })
            })
            .collect()
    }

    fn list_of(item: DataType) -> Output {
        Output::List { item: Arc::new(Field::new_list_field(item, true)) }
    }

    #[test]
    fn registered_functions_are_ours() {
        let ctx = crate::detect::new_context(1);
        for name in ["count", "array_agg"] {
            let udaf = ctx.udaf(name).unwrap();
            let inner: &dyn std::any::Any = udaf.inner().as_ref();
            assert!(inner.downcast_ref::<FastDistinct>().is_some(), "{name} is not the wrapper");
            assert_eq!(udaf.name(), name);
        }
    }

    #[test]
    fn counts_and_lists_distinct_values_per_group_with_filters_and_nulls() {
        let values = strings(&[Some("a"), Some("b"), Some("a"), None, Some("c"), Some("a"), None, Some("b")]);
        let groups = [0, 0, 0, 0, 1, 1, 1, 2];
        let filter: BooleanArray = [true, true, true, true, true, true, true, false].into_iter().map(Some).collect();

        let mut count = DistinctGroups::try_new(DataType::Utf8, Output::Count, true).unwrap();
        count.update_batch(&[values.clone()], &groups, Some(&filter), 4).unwrap();
        let counts = count.evaluate(EmitTo::All).unwrap();
        assert_eq!(counts.as_primitive::<arrow::datatypes::Int64Type>().values().to_vec(), vec![2, 2, 0, 0]);

        let mut with_nulls = DistinctGroups::try_new(DataType::Utf8, list_of(DataType::Utf8), false).unwrap();
        with_nulls.update_batch(&[values.clone()], &groups, Some(&filter), 4).unwrap();
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            list_rows(&with_nulls.evaluate(EmitTo::All).unwrap()),
            vec![Some(vec![s("a"), s("b"), None]), Some(vec![s("c"), s("a"), None]), None, None]
        );

        let mut ignore_nulls = DistinctGroups::try_new(DataType::Utf8, list_of(DataType::Utf8), true).unwrap();
        ignore_nulls.update_batch(&[values], &groups, None, 3).unwrap();
        assert_eq!(list_rows(&ignore_nulls.evaluate(EmitTo::All).unwrap()), vec![Some(vec![s("a"), s("b")]), Some(vec![s("c"), s("a")]), Some(vec![s("b")])]);
    }

    #[test]
    fn state_merges_across_accumulators_and_emit_first_renumbers_the_rest() {
        let view = |v: &[Option<&str>]| -> ArrayRef { Arc::new(v.iter().copied().collect::<StringViewArray>()) };
        let mut left = DistinctGroups::try_new(DataType::Utf8View, Output::Count, true).unwrap();
        left.update_batch(&[view(&[Some("x"), Some("y"), Some("a long value past twelve bytes")])], &[0, 1, 2], None, 3).unwrap();
        let mut right = DistinctGroups::try_new(DataType::Utf8View, Output::Count, true).unwrap();
        right.update_batch(&[view(&[Some("x"), Some("z"), Some("a long value past twelve bytes"), None])], &[0, 1, 2, 2], None, 3).unwrap();
        // Rows converted straight to state (DataFusion's skipped partial aggregation) merge too.
        let direct = right.convert_to_state(&[view(&[Some("w"), None])], None).unwrap();

        let mut merged = DistinctGroups::try_new(DataType::Utf8View, Output::Count, true).unwrap();
        let left_state = left.state(EmitTo::All).unwrap();
        let right_state = right.state(EmitTo::All).unwrap();
        assert_eq!(left_state[0].data_type(), &DataType::List(Arc::new(Field::new_list_field(DataType::Utf8View, true))));
        merged.merge_batch(&left_state, &[0, 1, 2], 3).unwrap();
        merged.merge_batch(&right_state, &[0, 1, 2], 3).unwrap();
        merged.merge_batch(&direct, &[2, 2], 3).unwrap();
        let first = merged.evaluate(EmitTo::First(1)).unwrap();
        assert_eq!(first.as_primitive::<arrow::datatypes::Int64Type>().values().to_vec(), vec![1]);
        // Groups 1 and 2 are now 0 and 1; adding to them keeps their values distinct.
        merged.update_batch(&[view(&[Some("y"), Some("w"), Some("new")])], &[0, 1, 1], None, 2).unwrap();
        let rest = merged.evaluate(EmitTo::All).unwrap();
        assert_eq!(rest.as_primitive::<arrow::datatypes::Int64Type>().values().to_vec(), vec![2, 3]);
    }
}
