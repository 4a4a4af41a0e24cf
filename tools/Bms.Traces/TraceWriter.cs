using System.Globalization;
using System.Text;

namespace Bms.Traces;

/// <summary>
/// Writes trace format v1 (DESIGN.md section 6), row by row so generators and importers can stream long
/// traces. What it writes always reads back with <see cref="TraceReader"/>: it refuses what the reader
/// would refuse (time going backwards, bad metadata keys, line breaks in values, values out of range).
/// </summary>
public sealed class TraceWriter : IDisposable
{
    private static readonly string[] KnownKeys = { "cells", "temps", "capacity_mAh", "chemistry", "source", "dt_ms" };

    private readonly TextWriter _writer;
    private readonly bool _ownsWriter;
    private readonly int _cells;
    private readonly int _temps;
    private readonly bool _socColumn;
    private readonly bool _eventColumn;
    private readonly StringBuilder _row = new(256);
    private long _lastTime_ms = long.MinValue;

    /// <summary>
    /// Writes the metadata of <paramref name="header"/> (its samples are ignored) and the column header.
    /// <paramref name="socReferenceColumn"/> and <paramref name="eventColumn"/> choose the optional columns.
    /// </summary>
    public TraceWriter(TextWriter writer, Trace header, bool socReferenceColumn, bool eventColumn, bool ownsWriter = false)
    {
        _writer = writer ?? throw new ArgumentNullException(nameof(writer));
        _ownsWriter = ownsWriter;
        _cells = header.Cells;
        _temps = header.Temps;
        _socColumn = socReferenceColumn;
        _eventColumn = eventColumn;
        WriteHeader(header);
    }

    /// <summary>Creates (or replaces) a file.</summary>
    public static TraceWriter Create(string path, Trace header, bool socReferenceColumn, bool eventColumn)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var writer = new StreamWriter(path, false, new UTF8Encoding(false)) { NewLine = "\n" };
        return new TraceWriter(writer, header, socReferenceColumn, eventColumn, ownsWriter: true);
    }

    /// <summary>Writes a whole trace; optional columns appear when a sample uses them.</summary>
    public static void Write(Trace trace, TextWriter writer)
    {
        bool soc = trace.Samples.Exists(s => s.SocRef_pcm != Trace.Missing);
        bool ev = trace.Samples.Exists(s => !string.IsNullOrEmpty(s.Event));
        using var w = new TraceWriter(writer, trace, soc, ev);
        foreach (var s in trace.Samples) w.Write(s);
    }

    /// <summary>Writes a whole trace to a file.</summary>
    public static void Write(Trace trace, string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false)) { NewLine = "\n" };
        Write(trace, writer);
    }

    /// <summary>Appends one row. <see cref="Trace.Missing"/> values become empty fields.</summary>
    public void Write(TraceSample sample)
    {
        if (sample.Cell_mV.Length != _cells || sample.Temp_dC.Length != _temps)
            throw new ArgumentException("sample was made for another pack size", nameof(sample));
        if (sample.Time_ms < 0) throw new ArgumentException("time_ms " + sample.Time_ms + " is negative", nameof(sample));
        if (sample.Time_ms < _lastTime_ms)
            throw new ArgumentException("time goes backwards (" + sample.Time_ms + " ms after " + _lastTime_ms + " ms)", nameof(sample));
        _lastTime_ms = sample.Time_ms;

        _row.Clear();
        _row.Append(sample.Time_ms.ToString(CultureInfo.InvariantCulture));
        AppendField(sample.Current_mA, int.MinValue + 1, int.MaxValue, "current_mA");
        for (int i = 0; i < _cells; i++) AppendField(sample.Cell_mV[i], TraceReader.MinCell_mV, TraceReader.MaxCell_mV, "v" + (i + 1) + "_mV");
        for (int i = 0; i < _temps; i++) AppendField(sample.Temp_dC[i], TraceReader.MinTemp_dC, TraceReader.MaxTemp_dC, "t" + (i + 1) + "_dC");
        if (_socColumn) AppendField(sample.SocRef_pcm, int.MinValue + 1, int.MaxValue, "soc_ref_pcm");
        if (_eventColumn)
        {
            _row.Append(',');
            if (!string.IsNullOrEmpty(sample.Event))
            {
                foreach (char ch in sample.Event)
                    if (ch == ',' || ch == '"' || char.IsControl(ch))
                        throw new ArgumentException("event tag '" + sample.Event + "' must not contain commas, quotes or control characters", nameof(sample));
                _row.Append(sample.Event);
            }
        }
        _writer.Write(_row);
        _writer.Write('\n');
    }

    public void Dispose()
    {
        _writer.Flush();
        if (_ownsWriter) _writer.Dispose();
    }

    private void AppendField(int value, int min, int max, string column)
    {
        _row.Append(',');
        if (value == Trace.Missing) return;
        if (value < min || value > max)
            throw new ArgumentException(column + " value " + value + " is outside " + min + ".." + max);
        _row.Append(value.ToString(CultureInfo.InvariantCulture));
    }

    private void WriteHeader(Trace header)
    {
        _writer.Write(TraceReader.Signature + "\n");
        WriteMeta("cells", header.Cells.ToString(CultureInfo.InvariantCulture));
        WriteMeta("temps", header.Temps.ToString(CultureInfo.InvariantCulture));
        if (header.Capacity_mAh is int capacity) WriteMeta("capacity_mAh", capacity.ToString(CultureInfo.InvariantCulture));
        if (header.Chemistry is not null) WriteMeta("chemistry", header.Chemistry);
        if (header.Source is not null) WriteMeta("source", header.Source);
        if (header.Dt_ms is int dt) WriteMeta("dt_ms", dt.ToString(CultureInfo.InvariantCulture));
        var written = new HashSet<string>(KnownKeys, StringComparer.Ordinal);
        foreach (var pair in header.Metadata)
        {
            if (!written.Add(pair.Key)) continue;
            WriteMeta(pair.Key, pair.Value);
        }

        var columns = new StringBuilder("time_ms,current_mA");
        for (int i = 1; i <= _cells; i++) columns.Append(",v").Append(i).Append("_mV");
        for (int i = 1; i <= _temps; i++) columns.Append(",t").Append(i).Append("_dC");
        if (_socColumn) columns.Append(",soc_ref_pcm");
        if (_eventColumn) columns.Append(",event");
        _writer.Write(columns);
        _writer.Write('\n');
    }

    private void WriteMeta(string key, string value)
    {
        if (key.Length == 0) throw new ArgumentException("empty metadata key");
        foreach (char ch in key)
            if (!(char.IsAsciiLetterOrDigit(ch) || ch == '_'))
                throw new ArgumentException("metadata key '" + key + "' must be letters, digits and '_'");
        foreach (char ch in value)
            if (ch == '\n' || ch == '\r')
                throw new ArgumentException("metadata '" + key + "' must not contain line breaks");
        _writer.Write("# " + key + "=" + value.Trim() + "\n");
    }
}
