//! Python values → `serde_json::Value`, in one pass (no `json.dumps` and re-parse).
//!
//! Only the conversion happens here: whether a visitor is *valid* (types of known fields,
//! phone number, state, ...) is the core's decision, so an int for `phone_number` converts
//! fine and the core reports `visitor.phoneNumber: must be a string`. What cannot become JSON
//! at all (a set, a datetime, a NaN, a dict with int keys, a cycle) raises `TypeError` or
//! `ValueError` naming where it was, before anything is sent.

use std::fmt::Write as _;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// Deeper than any real visitor, shallow enough that a self-containing list fails cleanly
/// instead of overflowing the stack.
const MAX_DEPTH: usize = 64;

/// Where a value sits in the user's input, for error messages; built only when one is raised.
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    Root(&'a str),
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        match self {
            Path::Root(name) => out.push_str(name),
            Path::Key(parent, key) => {
                parent.render_into(out);
                out.push('.');
                out.push_str(key);
            }
            Path::Index(parent, i) => {
                parent.render_into(out);
                let _ = write!(out, "[{i}]");
            }
        }
    }

    fn depth(&self) -> usize {
        match self {
            Path::Root(_) => 0,
            Path::Key(parent, _) | Path::Index(parent, _) => parent.depth() + 1,
        }
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}

pub(crate) fn string(s: &Bound<'_, PyString>, path: &Path<'_>) -> PyResult<String> {
    match s.to_cow() {
        Ok(cow) => Ok(cow.into_owned()),
        Err(_) => Err(PyValueError::new_err(format!(
            "{}: the string is not valid Unicode (it holds a lone surrogate)",
            path.render()
        ))),
    }
}

/// Any JSON-representable Python value, recursively.
pub(crate) fn to_json(obj: &Bound<'_, PyAny>, path: &Path<'_>) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return string(s, path).map(Value::String);
    }
    // bool before int: True is an int in Python, but JSON has a real boolean.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.cast::<PyInt>().is_ok() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::Number(u.into()));
        }
        return Err(PyValueError::new_err(format!(
            "{}: the integer is too large to send as JSON (64 bits at most)",
            path.render()
        )));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| {
                PyValueError::new_err(format!(
                    "{}: NaN and infinity cannot be sent as JSON",
                    path.render()
                ))
            });
    }
    if path.depth() >= MAX_DEPTH {
        return Err(PyValueError::new_err(format!(
            "{}: nested more than {MAX_DEPTH} levels deep (does it contain itself?)",
            path.render()
        )));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = Map::with_capacity(dict.len());
        for (key, value) in dict.iter() {
            let key = key_string(&key, path)?;
            let converted = to_json(&value, &Path::Key(path, &key))?;
            map.insert(key, converted);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(list) = obj.cast::<PyList>() {
        let mut items = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            items.push(to_json(&item, &Path::Index(path, i))?);
        }
        return Ok(Value::Array(items));
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        let mut items = Vec::with_capacity(tuple.len());
        for (i, item) in tuple.iter().enumerate() {
            items.push(to_json(&item, &Path::Index(path, i))?);
        }
        return Ok(Value::Array(items));
    }
    if let Ok(mapping) = obj.cast::<PyMapping>() {
        let mut map = Map::new();
        for item in mapping.items()?.iter() {
            let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
            let key = key_string(&key, path)?;
            let converted = to_json(&value, &Path::Key(path, &key))?;
            map.insert(key, converted);
        }
        return Ok(Value::Object(map));
    }
    Err(PyTypeError::new_err(format!(
        "{}: a {} cannot be sent as JSON (use str, int, float, bool, None, dict or list)",
        path.render(),
        type_name(obj)
    )))
}

fn key_string(key: &Bound<'_, PyAny>, path: &Path<'_>) -> PyResult<String> {
    match key.cast::<PyString>() {
        Ok(s) => string(s, path),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{}: keys must be strings, not {} ({})",
            path.render(),
            type_name(key),
            key.repr().map(|r| r.to_string()).unwrap_or_default()
        ))),
    }
}

/// A visitor given as a dict (or mapping) and/or keyword arguments. Top-level snake_case
/// names of documented fields become wire names (`phone_number` → `phoneNumber`); wire names
/// are accepted as they are; other keys and everything nested (`extended_attributes`'s
/// contents) pass through untouched. Something that is not a mapping is converted as it is,
/// so the core can report "must be an object" with the right path.
pub(crate) fn visitor(
    obj: Option<&Bound<'_, PyAny>>,
    fields: Option<&Bound<'_, PyDict>>,
    root: &str,
) -> PyResult<Value> {
    let path = Path::Root(root);
    let fields = fields.filter(|f| !f.is_empty());
    let mut map = Map::new();
    match obj {
        None => {}
        Some(obj) if obj.is_none() => {}
        Some(obj) => {
            if let Ok(dict) = obj.cast::<PyDict>() {
                for (key, value) in dict.iter() {
                    insert_field(&mut map, &key, &value, &path)?;
                }
            } else if let Ok(mapping) = obj.cast::<PyMapping>() {
                for item in mapping.items()?.iter() {
                    let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
                    insert_field(&mut map, &key, &value, &path)?;
                }
            } else if fields.is_some() {
                return Err(PyTypeError::new_err(format!(
                    "{root} must be a dict when fields are also given as keyword arguments, not {}",
                    type_name(obj)
                )));
            } else {
                return to_json(obj, &path);
            }
        }
    }
    if let Some(fields) = fields {
        for (key, value) in fields.iter() {
            insert_field(&mut map, &key, &value, &path)?;
        }
    }
    Ok(Value::Object(map))
}

fn insert_field(
    map: &mut Map<String, Value>,
    key: &Bound<'_, PyAny>,
    value: &Bound<'_, PyAny>,
    path: &Path<'_>,
) -> PyResult<()> {
    let key = key_string(key, path)?;
    let wire = botsplash::wire_field_name(&key);
    if map.contains_key(wire) {
        return Err(PyTypeError::new_err(format!(
            "{}: the field {key:?} is given twice (as {wire:?} too, or in both the dict and the keyword arguments)",
            path.render()
        )));
    }
    let converted = to_json(value, &Path::Key(path, &key))?;
    map.insert(wire.to_owned(), converted);
    Ok(())
}

/// The `visitors` of a bulk submission: any iterable of visitors except a string or a single
/// mapping (iterating those would silently send their characters or keys).
/// Converts the visitors one at a time and hands each to the core, which validates and encodes
/// it at once: a large iterable (a generator over a CSV file) never exists as a list of
/// values. A Python-level error (a type with no JSON form) stops the conversion and is raised;
/// the core's validation result comes back as the inner `Result`.
pub(crate) fn prepare_bulk(
    obj: &Bound<'_, PyAny>,
    listener_id: &str,
    message: Option<&str>,
) -> PyResult<botsplash::Result<botsplash::PreparedBulk>> {
    if obj.cast::<PyString>().is_ok()
        || obj.cast::<PyMapping>().is_ok()
        || obj.is_instance_of::<pyo3::types::PyBytes>()
    {
        return Err(PyTypeError::new_err(format!(
            "visitors must be a list of visitors (dicts), not a single {}",
            type_name(obj)
        )));
    }
    let iter = obj.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "visitors must be a list of visitors (dicts), not {}",
            type_name(obj)
        ))
    })?;
    let mut failure: Option<PyErr> = None;
    let converted = iter.enumerate().map_while(|(i, item)| {
        match item.and_then(|item| visitor(Some(&item), None, &format!("visitors[{i}]"))) {
            Ok(value) => Some(value),
            Err(e) => {
                failure = Some(e);
                None
            }
        }
    });
    let prepared = botsplash::PreparedBulk::new(listener_id, converted, message);
    match failure {
        Some(e) => Err(e),
        None => Ok(prepared),
    }
}

/// Scalar arguments are converted here rather than by PyO3's extraction, whose TypeError
/// names the argument only in `__notes__` (invisible in `str(e)`, and on Python < 3.11 in
/// tracebacks too).
fn wrong_type(name: &str, expected: &str, obj: &Bound<'_, PyAny>) -> PyErr {
    PyTypeError::new_err(format!("{name} must be {expected}, not {}", type_name(obj)))
}

/// A required `str` argument.
pub(crate) fn str_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    match obj.cast::<PyString>() {
        Ok(s) => string(s, &Path::Root(name)),
        Err(_) => Err(wrong_type(name, "a str", obj)),
    }
}

/// An optional `str` argument (`None` = not given).
pub(crate) fn opt_str_arg(obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Option<String>> {
    match obj {
        Some(o) if !o.is_none() => str_arg(o, name).map(Some),
        _ => Ok(None),
    }
}

/// An optional number of seconds (int or float; a bool is a mistake, not a number).
pub(crate) fn opt_seconds_arg(obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Option<f64>> {
    match obj {
        Some(o) if !o.is_none() => {
            if o.cast::<PyBool>().is_err() {
                if let Ok(f) = o.cast::<PyFloat>() {
                    return Ok(Some(f.value()));
                }
                if o.cast::<PyInt>().is_ok() {
                    return o.extract::<f64>().map(Some);
                }
            }
            Err(wrong_type(name, "a number of seconds (int or float)", o))
        }
        _ => Ok(None),
    }
}

/// An optional integer; values beyond 64 bits saturate (the core then reports its limit).
pub(crate) fn opt_int_arg(obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Option<i64>> {
    match obj {
        Some(o) if !o.is_none() => {
            if o.cast::<PyInt>().is_err() || o.cast::<PyBool>().is_ok() {
                return Err(wrong_type(name, "an int", o));
            }
            match o.extract::<i64>() {
                Ok(n) => Ok(Some(n)),
                Err(_) => Ok(Some(if o.gt(0)? { i64::MAX } else { i64::MIN })),
            }
        }
        _ => Ok(None),
    }
}

/// An optional `bool`.
pub(crate) fn opt_bool_arg(obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Option<bool>> {
    match obj {
        Some(o) if !o.is_none() => match o.cast::<PyBool>() {
            Ok(b) => Ok(Some(b.is_true())),
            Err(_) => Err(wrong_type(name, "a bool", o)),
        },
        _ => Ok(None),
    }
}
