"""Import messages: a stable code per problem, with English and Chinese text.

A problem carries ``code`` (e.g. ``ingest.xlsx.too_many_rows``) and ``params``
(e.g. ``{"rows": 3000001, "limit": 2000000}``); ``text(code, params, lang)``
renders it. The English text is also stored as the problem's ``reason``.
"""

from __future__ import annotations

import re
from typing import Any

# code: (English, Chinese); placeholders are str.format fields filled from params
CATALOG: dict[str, tuple[str, str]] = {
    # whole file
    "ingest.file.not_tabular": ("{file} is not a CSV, XLSX or Parquet file",
                                "{file} 不是 CSV、XLSX 或 Parquet 文件"),
    "ingest.file.unsupported_type": ("{file}: file type {suffix} is not supported; use CSV, XLSX or Parquet",
                                     "{file}：不支持的文件类型 {suffix}，请使用 CSV、XLSX 或 Parquet"),
    "ingest.file.empty": ("{file} is empty (no header row)", "{file} 为空（没有表头行）"),
    "ingest.file.unreadable": ("{file} cannot be read as {kind}: {detail}",
                               "{file} 无法按 {kind} 读取：{detail}"),
    "ingest.file.too_many_rows": ("{file} has more than {limit:,} data rows ({rows:,} found); split it",
                                  "{file} 的数据行超过 {limit:,} 行（{rows:,} 行），请拆分文件"),
    "ingest.file.too_many_columns": ("{file} has {columns:,} columns; at most {limit:,} are read",
                                     "{file} 有 {columns:,} 列，最多可读取 {limit:,} 列"),
    "ingest.csv.encoding": ("{file}: cannot tell the text encoding (not UTF-8 or GBK/GB18030); "
                            "save it as 'CSV UTF-8'",
                            "{file}：无法识别文本编码（不是 UTF-8 或 GBK/GB18030），请另存为“CSV UTF-8”"),
    "ingest.csv.parse": ("{file}: not a well-formed CSV: {detail}", "{file}：CSV 格式有误：{detail}"),
    "ingest.xlsx.not_workbook": ("{file} is not an Excel workbook ({detail})",
                                 "{file} 不是 Excel 工作簿（{detail}）"),
    "ingest.xlsx.no_sheet": ("{file} has no worksheet", "{file} 中没有工作表"),
    "ingest.xlsx.too_large": ("{file}: the workbook unpacks to {size_mb:,} MB (limit {limit_mb:,} MB)",
                              "{file}：工作簿解压后为 {size_mb:,} MB（上限 {limit_mb:,} MB）"),
    "ingest.xlsx.zip_ratio": ("{file}: a part of the workbook is compressed {ratio:,}:1 (limit {limit:,}:1); "
                              "it looks like a zip bomb",
                              "{file}：工作簿中某部分压缩比为 {ratio:,}:1（上限 {limit:,}:1），疑似压缩炸弹"),
    "ingest.xlsx.too_many_rows": ("{file}: the sheet declares {rows:,} rows (limit {limit:,}); split it",
                                  "{file}：工作表声明 {rows:,} 行（上限 {limit:,} 行），请拆分文件"),
    "ingest.xlsx.too_many_columns": ("{file}: the sheet uses column {cell} ({columns:,} columns; limit {limit:,})",
                                     "{file}：工作表使用到 {cell} 列（{columns:,} 列，上限 {limit:,} 列）"),
    "ingest.xlsx.value_outside_header": ("value in a column without a header", "该值所在列没有表头"),
    "ingest.parquet.type": ("Parquet type {type} is not supported for a column", "不支持该列的 Parquet 类型 {type}"),
    "ingest.table.unknown": ("unknown table {table}; known: {known}", "未知数据表 {table}；可用：{known}"),
    "ingest.table.service": ("table {table} is managed by reforge and cannot be imported",
                             "数据表 {table} 由系统维护，不能导入"),
    "ingest.template.format": ("unknown template format {format}; use csv or xlsx",
                               "未知模板格式 {format}，请使用 csv 或 xlsx"),
    "ingest.upload.too_large": ("{file} is larger than {limit_mb:,} MB", "{file} 超过 {limit_mb:,} MB"),
    "ingest.failed": ("{file}: the import failed: {detail}", "{file}：导入失败：{detail}"),
    # columns
    "ingest.column.unknown": ("unknown column for table {table}", "数据表 {table} 没有此列"),
    "ingest.column.duplicate": ("column appears more than once", "该列出现多次"),
    "ingest.column.missing": ("required column is missing", "缺少必填列"),
    "ingest.table.mismatch": ("{file} does not look like table {table}: {unknown} of its {columns} columns "
                              "are unknown ({sample}); expected columns: {expected}",
                              "{file} 看起来不是数据表 {table}：{columns} 列中有 {unknown} 列无法识别（{sample}）；"
                              "应有的列：{expected}"),
    # values
    "ingest.value.type": ("not {kind}", "不是{kind_zh}"),
    "ingest.value.range": ("{value} is outside the range of {sql_type} ({low:,} to {high:,})",
                           "{value} 超出 {sql_type} 的范围（{low:,} 至 {high:,}）"),
    "ingest.value.missing": ("required value is missing", "必填值缺失"),
    "ingest.value.rule": ("{detail}", "{detail_zh}"),
    # keys and references
    "ingest.key.duplicate": ("duplicate key: the same key is also in row {first_row}",
                             "主键重复：第 {first_row} 行已有相同主键"),
    "ingest.key.exists": ("key already stored in {table}; use --mode upsert to update it",
                          "主键已存在于 {table}；如需更新请使用 upsert 方式"),
    "ingest.reference.missing": ("refers to a row that does not exist in {targets}",
                                 "引用的记录在 {targets} 中不存在"),
    "ingest.replace.orphans": ("replacing {target} would leave {rows:,} rows of {table} pointing at nothing "
                               "({table}.{column} -> {target}); import {table} in the same batch, or use "
                               "cascade to delete them",
                               "替换 {target} 会使 {table} 中 {rows:,} 行失去引用（{table}.{column} -> {target}）；"
                               "请同批导入 {table}，或使用级联（cascade）删除这些行"),
    "ingest.replace.accounts": ("replacing {target} would leave {rows:,} user accounts bound to firms that no "
                                "longer exist; re-bind or delete those accounts first",
                                "替换 {target} 会使 {rows:,} 个用户账号绑定到不存在的企业；请先重新绑定或删除这些账号"),
}

# words for the type check, in both languages
TYPE_WORDS: dict[str, tuple[str, str]] = {
    "INTEGER": ("a whole number", "整数"), "BIGINT": ("a whole number", "整数"),
    "DOUBLE": ("a number", "数字"), "DATE": ("a date (YYYY-MM-DD)", "日期（YYYY-MM-DD）"),
    "TIMESTAMP": ("a date-time", "日期时间"), "BOOLEAN": ("true or false", "是或否（true/false）"),
}

# value rules: English reason -> Chinese reason (the English texts are produced by validate/codes)
RULE_ZH: dict[str, str] = {
    "not a GB/T 2260 administrative division code": "不是 GB/T 2260 行政区划代码",
    "not a GB/T 4754-2017 industry code": "不是 GB/T 4754-2017 行业代码",
    "not an ISO 3166-1 alpha-2 country code": "不是 ISO 3166-1 二位字母国家代码",
    "must be a fraction between 0 and 1": "应为 0 到 1 之间的比例",
    "must not be negative": "不能为负数",
    "must be a level from 1 to 5": "应为 1 到 5 的等级",
    "must be a SHA-256 hash (64 lowercase hexadecimal characters)": "应为 SHA-256 哈希值（64 位小写十六进制字符）",
}


def text(code: str, params: dict[str, Any] | None = None, lang: str = "en") -> str:
    """The message for ``code`` in ``lang`` ('en' or 'zh'); unknown codes or fields fall back safely."""
    pair = CATALOG.get(code)
    if pair is None:
        return code
    tmpl = pair[1] if lang == "zh" else pair[0]
    try:
        return tmpl.format(**(params or {}))
    except (KeyError, IndexError, ValueError):
        return pair[0] if lang == "zh" and tmpl != pair[0] else tmpl


def rule_zh(reason: str) -> str:
    """Chinese text of a value-rule reason (prefix match for parameterised reasons)."""
    if reason in RULE_ZH:
        return RULE_ZH[reason]
    if reason.startswith("must be one of "):
        return "应为以下之一：" + reason[len("must be one of "):]
    if reason.startswith("year outside "):
        return "年份超出范围 " + reason[len("year outside "):]
    m = re.match(r"check digit is (.+), expected (.+) \(GB 32100-2015\)$", reason)
    if m:
        return f"校验位为 {m[1]}，应为 {m[2]}（GB 32100-2015）"
    m = re.match(r"characters 3-8 \((.*)\) are not a GB/T 2260 division code$", reason)
    if m:
        return f"第 3-8 位（{m[1]}）不是 GB/T 2260 行政区划代码"
    if reason == "must be 18 characters":
        return "应为 18 位"
    if reason.startswith("contains a character outside the GB 32100 alphabet"):
        return "含有 GB 32100 字符集以外的字符（不含 I、O、S、V、Z）"
    return reason
