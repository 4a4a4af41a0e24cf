using System.Globalization;

namespace Bms.Traces;

/// <summary>
/// Reads trace format v1 (DESIGN.md section 6) line by line, so a trace of any length is read in constant
/// memory. The constructor reads and checks the metadata and the column header; <see cref="ReadNext"/> then
/// fills one caller-owned <see cref="TraceSample"/> per data row. Every rule of the format is checked, and
/// the first violation throws a <see cref="TraceFormatException"/> naming file, line, column and reason.
/// Checks that need the whole file (at least one row; every channel has a value somewhere) run when the end
/// is reached, so a caller that must not act on a malformed file reads it once with
/// <see cref="Validate(string)"/> before using it (the replay harness does).
/// </summary>
public sealed class TraceReader : IDisposable
{
    /// <summary>The exact first line of every v1 trace.</summary>
    public const string Signature = "# bms-trace v1";

    /// <summary>Largest cells/temps count accepted (a long LTC681x daisy chain stays far below).</summary>
    public const int MaxChannels = 1024;

    /// <summary>Plausible range of a cell voltage in a trace, mV (wider than any AFE can measure).</summary>
    public const int MinCell_mV = 0, MaxCell_mV = 10_000;

    /// <summary>Plausible range of a temperature in a trace, 0.1 °C (covers thermal runaway).</summary>
    public const int MinTemp_dC = -1000, MaxTemp_dC = 15_000;

    private readonly TextReader _reader;
    private readonly bool _ownsReader;
    private readonly string _file;
    private int _lineNumber;
    private int _headerLine;

    // Column positions in the CSV row (-1 = absent).
    private int _timeColumn = -1, _currentColumn = -1, _socColumn = -1, _eventColumn = -1;
    private readonly int[] _cellColumns;
    private readonly int[] _tempColumns;
    private string[] _columnNames = Array.Empty<string>();
    private int[] _fieldStart = Array.Empty<int>();
    private int[] _fieldLength = Array.Empty<int>();

    private long _lastTime_ms = long.MinValue;
    private int _blankLine; // first blank line seen after the header; an error if data follows it
    private bool _finished;

    // Whole-file facts for the end-of-file checks and for callers (first value seen per channel).
    private readonly int[] _firstCell_mV;
    private readonly int[] _firstTemp_dC;
    private int _firstCurrent_mA = Trace.Missing;

    /// <summary>Opens a file; see the class summary.</summary>
    public static TraceReader Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var reader = new StreamReader(stream, detectEncodingFromByteOrderMarks: true);
        try
        {
            return new TraceReader(reader, Path.GetFileName(path), ownsReader: true);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>Reads the metadata and column header from <paramref name="reader"/>; <paramref name="name"/> is used in messages.</summary>
    public TraceReader(TextReader reader, string name, bool ownsReader = false)
    {
        _reader = reader ?? throw new ArgumentNullException(nameof(reader));
        _file = name;
        _ownsReader = ownsReader;
        Trace = ReadHeader();
        _cellColumns = new int[Trace.Cells];
        _tempColumns = new int[Trace.Temps];
        _firstCell_mV = new int[Trace.Cells];
        _firstTemp_dC = new int[Trace.Temps];
        Array.Fill(_firstCell_mV, Trace.Missing);
        Array.Fill(_firstTemp_dC, Trace.Missing);
        MapColumns();
    }

    /// <summary>Metadata of the trace (its <see cref="Trace.Samples"/> stay empty: rows come from <see cref="ReadNext"/>).</summary>
    public Trace Trace { get; }

    /// <summary>true when the file has a <c>soc_ref_pcm</c> column.</summary>
    public bool HasSocReferenceColumn => _socColumn >= 0;

    /// <summary>true when the file has an <c>event</c> column.</summary>
    public bool HasEventColumn => _eventColumn >= 0;

    /// <summary>Column names of the header row, in file order.</summary>
    public IReadOnlyList<string> ColumnNames => _columnNames;

    /// <summary>Data rows read so far.</summary>
    public long SamplesRead { get; private set; }

    /// <summary>Time of the first data row (valid after the first <see cref="ReadNext"/>).</summary>
    public long FirstTime_ms { get; private set; }

    /// <summary>Time of the last data row read.</summary>
    public long LastTime_ms => _lastTime_ms;

    /// <summary>Rows that carry a reference state of charge.</summary>
    public long SocReferenceSamples { get; private set; }

    /// <summary>First recorded value of each cell voltage (after the end is reached, never <see cref="Trace.Missing"/>).</summary>
    public IReadOnlyList<int> FirstCell_mV => _firstCell_mV;

    /// <summary>First recorded value of each temperature.</summary>
    public IReadOnlyList<int> FirstTemp_dC => _firstTemp_dC;

    /// <summary>First recorded current.</summary>
    public int FirstCurrent_mA => _firstCurrent_mA;

    /// <summary>
    /// Fills <paramref name="sample"/> from the next data row (missing fields become <see cref="Trace.Missing"/>).
    /// Returns false at the end of the file, after the whole-file checks passed.
    /// </summary>
    public bool ReadNext(TraceSample sample)
    {
        if (sample.Cell_mV.Length != Trace.Cells || sample.Temp_dC.Length != Trace.Temps)
            throw new ArgumentException("sample was made for another pack size", nameof(sample));
        if (_finished) return false;
        while (true)
        {
            string? line = _reader.ReadLine();
            if (line is null)
            {
                FinishChecks();
                _finished = true;
                return false;
            }
            _lineNumber++;
            if (line.Length == 0)
            {
                if (_blankLine == 0) _blankLine = _lineNumber;
                continue;
            }
            if (_blankLine != 0)
                throw Error(_blankLine, 0, "empty line inside the data (only trailing empty lines are allowed)");
            if (line[0] == '#')
                throw Error(_lineNumber, 0, "metadata line after the column header (metadata must come before it)");
            ParseRow(line, sample);
            return true;
        }
    }

    /// <summary>Reads a whole file into memory (checked completely).</summary>
    public static Trace ReadAll(string path)
    {
        using var reader = Open(path);
        return reader.ReadToEnd();
    }

    /// <summary>Reads a whole trace from text (checked completely).</summary>
    public static Trace ReadAll(TextReader text, string name)
    {
        using var reader = new TraceReader(text, name);
        return reader.ReadToEnd();
    }

    /// <summary>Checks a whole file without keeping its rows; returns its metadata. Throws on the first violation.</summary>
    public static TraceInfo Validate(string path)
    {
        using var reader = Open(path);
        return reader.ValidateToEnd();
    }

    /// <summary>Checks a whole trace from text without keeping its rows.</summary>
    public static TraceInfo Validate(TextReader text, string name)
    {
        using var reader = new TraceReader(text, name);
        return reader.ValidateToEnd();
    }

    private Trace ReadToEnd()
    {
        while (true)
        {
            var sample = new TraceSample(Trace.Cells, Trace.Temps);
            if (!ReadNext(sample)) break;
            Trace.Samples.Add(sample);
        }
        return Trace;
    }

    private TraceInfo ValidateToEnd()
    {
        var sample = new TraceSample(Trace.Cells, Trace.Temps);
        while (ReadNext(sample)) { }
        return new TraceInfo(Trace, SamplesRead, FirstTime_ms, LastTime_ms, SocReferenceSamples,
            _firstCurrent_mA, (int[])_firstCell_mV.Clone(), (int[])_firstTemp_dC.Clone());
    }

    public void Dispose()
    {
        if (_ownsReader) _reader.Dispose();
    }

    // ---- header ----

    private Trace ReadHeader()
    {
        string? first = _reader.ReadLine();
        _lineNumber = 1;
        if (first is null) throw Error(0, 0, "the file is empty (a trace starts with the line '" + Signature + "')");
        if (first != Signature)
        {
            string reason = first.TrimEnd() == Signature
                ? "the first line has trailing characters; it must be exactly '" + Signature + "'"
                : "the first line must be exactly '" + Signature + "' (found '" + Shorten(first) + "')";
            throw Error(1, 0, reason);
        }

        var metadata = new List<KeyValuePair<string, string>>();
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        string? headerRow = null;
        while (true)
        {
            string? line = _reader.ReadLine();
            if (line is null) break;
            _lineNumber++;
            if (line.Length == 0) throw Error(_lineNumber, 0, "empty line before the column header");
            if (line[0] != '#')
            {
                headerRow = line;
                break;
            }
            string body = line.Substring(1).Trim();
            int eq = body.IndexOf('=');
            if (eq < 0) throw Error(_lineNumber, 0, "metadata lines are '# key=value' (no '=' in '" + Shorten(line) + "')");
            string key = body.Substring(0, eq).Trim();
            string value = body.Substring(eq + 1).Trim();
            if (key.Length == 0 || !IsKey(key)) throw Error(_lineNumber, 0, "metadata key '" + Shorten(key) + "' must be letters, digits and '_'");
            if (lines.ContainsKey(key)) throw Error(_lineNumber, 0, "metadata key '" + key + "' repeated (first on line " + lines[key] + ")");
            lines[key] = _lineNumber;
            metadata.Add(new KeyValuePair<string, string>(key, value));
        }

        if (!lines.ContainsKey("cells")) throw Error(headerRow is null ? _lineNumber : _lineNumber, 0, "metadata 'cells' is required (e.g. '# cells=4') before the column header");
        if (!lines.ContainsKey("temps")) throw Error(_lineNumber, 0, "metadata 'temps' is required (e.g. '# temps=2') before the column header");
        int cells = MetaInt(metadata, lines, "cells", 1, MaxChannels);
        int temps = MetaInt(metadata, lines, "temps", 0, MaxChannels);
        var trace = new Trace(cells, temps) { Name = _file };
        trace.Metadata.AddRange(metadata);
        if (lines.ContainsKey("capacity_mAh")) trace.Capacity_mAh = MetaInt(metadata, lines, "capacity_mAh", 1, int.MaxValue);
        if (lines.ContainsKey("dt_ms")) trace.Dt_ms = MetaInt(metadata, lines, "dt_ms", 1, int.MaxValue);
        if (lines.ContainsKey("chemistry"))
        {
            string chemistry = Meta(metadata, "chemistry");
            if (chemistry.Length == 0) throw Error(lines["chemistry"], 0, "metadata 'chemistry' is empty");
            trace.Chemistry = chemistry;
        }
        if (lines.ContainsKey("source")) trace.Source = Meta(metadata, "source");

        if (headerRow is null) throw Error(_lineNumber, 0, "no column header row after the metadata");
        _headerLine = _lineNumber;
        _columnNames = headerRow.Split(',');
        return trace;
    }

    private void MapColumns()
    {
        Array.Fill(_cellColumns, -1);
        Array.Fill(_tempColumns, -1);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < _columnNames.Length; c++)
        {
            string name = _columnNames[c];
            if (name.Length == 0) throw Error(_headerLine, c + 1, "empty column name in the header");
            if (seen.TryGetValue(name, out int other))
                throw Error(_headerLine, c + 1, name, "column '" + name + "' appears twice (also column " + (other + 1) + ")");
            seen[name] = c;
            switch (name)
            {
                case "time_ms": _timeColumn = c; continue;
                case "current_mA": _currentColumn = c; continue;
                case "soc_ref_pcm": _socColumn = c; continue;
                case "event": _eventColumn = c; continue;
            }
            if (TryChannel(name, 'v', "_mV", out int cell))
            {
                if (cell < 1 || cell > Trace.Cells)
                    throw Error(_headerLine, c + 1, name, "cell " + cell + " is outside the declared cells=" + Trace.Cells);
                _cellColumns[cell - 1] = c;
            }
            else if (TryChannel(name, 't', "_dC", out int temp))
            {
                if (temp < 1 || temp > Trace.Temps)
                    throw Error(_headerLine, c + 1, name, "temperature " + temp + " is outside the declared temps=" + Trace.Temps);
                _tempColumns[temp - 1] = c;
            }
            // any other column is allowed and ignored (for example a logger's own extra channels)
        }
        if (_timeColumn < 0) throw Error(_headerLine, 0, "required column 'time_ms' is missing from the header");
        if (_currentColumn < 0) throw Error(_headerLine, 0, "required column 'current_mA' is missing from the header");
        for (int i = 0; i < _cellColumns.Length; i++)
            if (_cellColumns[i] < 0) throw Error(_headerLine, 0, "column 'v" + (i + 1) + "_mV' is missing (cells=" + Trace.Cells + " declares v1_mV..v" + Trace.Cells + "_mV)");
        for (int i = 0; i < _tempColumns.Length; i++)
            if (_tempColumns[i] < 0) throw Error(_headerLine, 0, "column 't" + (i + 1) + "_dC' is missing (temps=" + Trace.Temps + " declares t1_dC..t" + Trace.Temps + "_dC)");
        _fieldStart = new int[_columnNames.Length];
        _fieldLength = new int[_columnNames.Length];
    }

    /// <summary>"v12_mV" → 12. Names that merely look similar ("v1_V", "vx_mV") are not channels.</summary>
    private static bool TryChannel(string name, char prefix, string suffix, out int number)
    {
        number = 0;
        if (name.Length < 2 + suffix.Length || name[0] != prefix || !name.EndsWith(suffix, StringComparison.Ordinal)) return false;
        var digits = name.AsSpan(1, name.Length - 1 - suffix.Length);
        foreach (char ch in digits) if (ch < '0' || ch > '9') return false;
        if (digits.Length > 1 && digits[0] == '0') return false;
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out number);
    }

    // ---- rows ----

    private void ParseRow(string line, TraceSample sample)
    {
        int fields = 0;
        int start = 0;
        for (int i = 0; i <= line.Length; i++)
        {
            if (i == line.Length || line[i] == ',')
            {
                if (fields < _fieldStart.Length)
                {
                    _fieldStart[fields] = start;
                    _fieldLength[fields] = i - start;
                }
                fields++;
                start = i + 1;
            }
        }
        if (fields != _columnNames.Length)
            throw Error(_lineNumber, 0, "row has " + fields + " fields but the header has " + _columnNames.Length);

        sample.Line = _lineNumber;
        long time = ParseLong(line, _timeColumn, allowMissing: false);
        if (time < 0) throw Error(_lineNumber, _timeColumn + 1, "time_ms", "time " + time + " is negative");
        if (SamplesRead > 0 && time < _lastTime_ms)
            throw Error(_lineNumber, _timeColumn + 1, "time_ms", "time goes backwards (" + time + " ms after " + _lastTime_ms + " ms)");
        if (SamplesRead == 0) FirstTime_ms = time;
        _lastTime_ms = time;
        sample.Time_ms = time;

        int current = ParseInt(line, _currentColumn, int.MinValue + 1, int.MaxValue, "");
        sample.Current_mA = current;
        if (_firstCurrent_mA == Trace.Missing) _firstCurrent_mA = current;

        for (int i = 0; i < _cellColumns.Length; i++)
        {
            int v = ParseInt(line, _cellColumns[i], MinCell_mV, MaxCell_mV, "a cell voltage in mV");
            sample.Cell_mV[i] = v;
            if (_firstCell_mV[i] == Trace.Missing) _firstCell_mV[i] = v;
        }
        for (int i = 0; i < _tempColumns.Length; i++)
        {
            int t = ParseInt(line, _tempColumns[i], MinTemp_dC, MaxTemp_dC, "a temperature in 0.1 °C");
            sample.Temp_dC[i] = t;
            if (_firstTemp_dC[i] == Trace.Missing) _firstTemp_dC[i] = t;
        }

        sample.SocRef_pcm = _socColumn >= 0 ? ParseInt(line, _socColumn, int.MinValue + 1, int.MaxValue, "") : Trace.Missing;
        if (sample.SocRef_pcm != Trace.Missing) SocReferenceSamples++;

        sample.Event = null;
        if (_eventColumn >= 0 && _fieldLength[_eventColumn] > 0)
        {
            var tag = line.AsSpan(_fieldStart[_eventColumn], _fieldLength[_eventColumn]);
            foreach (char ch in tag)
                if (ch == '"' || char.IsControl(ch))
                    throw Error(_lineNumber, _eventColumn + 1, "event", "event tags are plain text without quotes");
            sample.Event = tag.ToString();
        }
        SamplesRead++;
    }

    private long ParseLong(string line, int column, bool allowMissing)
    {
        var field = line.AsSpan(_fieldStart[column], _fieldLength[column]);
        if (field.Length == 0)
        {
            if (allowMissing) return Trace.Missing;
            throw Error(_lineNumber, column + 1, _columnNames[column], "value is required (time cannot be missing)");
        }
        if (!long.TryParse(field, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            throw Error(_lineNumber, column + 1, _columnNames[column], NotAnInteger(field));
        return value;
    }

    private int ParseInt(string line, int column, int min, int max, string what)
    {
        var field = line.AsSpan(_fieldStart[column], _fieldLength[column]);
        if (field.Length == 0) return Trace.Missing;
        if (!int.TryParse(field, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
            throw Error(_lineNumber, column + 1, _columnNames[column], NotAnInteger(field));
        if (value == Trace.Missing || value < min || value > max)
            throw Error(_lineNumber, column + 1, _columnNames[column],
                value + " is outside " + min + ".." + max + (what.Length > 0 ? " for " + what : ""));
        return value;
    }

    private static string NotAnInteger(ReadOnlySpan<char> field)
    {
        string text = field.ToString();
        bool looksDecimal = text.Contains('.') || text.Contains('e') || text.Contains('E');
        return "'" + Shorten(text) + "' is not an integer" + (looksDecimal
            ? " (trace values are integers in the unit the column name gives: mV, mA, 0.1 °C, ms, per cent mille)"
            : "");
    }

    private void FinishChecks()
    {
        if (SamplesRead == 0) throw Error(_headerLine, 0, "the trace has no data rows");
        if (_firstCurrent_mA == Trace.Missing)
            throw Error(_headerLine, _currentColumn + 1, "current_mA", "no row has a value in this column");
        for (int i = 0; i < _firstCell_mV.Length; i++)
            if (_firstCell_mV[i] == Trace.Missing)
                throw Error(_headerLine, _cellColumns[i] + 1, _columnNames[_cellColumns[i]], "no row has a value in this column");
        for (int i = 0; i < _firstTemp_dC.Length; i++)
            if (_firstTemp_dC[i] == Trace.Missing)
                throw Error(_headerLine, _tempColumns[i] + 1, _columnNames[_tempColumns[i]], "no row has a value in this column");
    }

    // ---- helpers ----

    private int MetaInt(List<KeyValuePair<string, string>> metadata, Dictionary<string, int> lines, string key, int min, int max)
    {
        string text = Meta(metadata, key);
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            throw Error(lines[key], 0, "metadata '" + key + "' must be an integer in " + min + ".." + max + " (found '" + Shorten(text) + "')");
        return value;
    }

    private static string Meta(List<KeyValuePair<string, string>> metadata, string key)
    {
        foreach (var pair in metadata) if (pair.Key == key) return pair.Value;
        return "";
    }

    private static bool IsKey(string key)
    {
        foreach (char ch in key)
            if (!(char.IsAsciiLetterOrDigit(ch) || ch == '_')) return false;
        return true;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text.Substring(0, 40) + "…";

    private TraceFormatException Error(int line, int column, string reason) =>
        new(_file, line, column, column > 0 && column <= _columnNames.Length ? _columnNames[column - 1] : null, reason);

    private TraceFormatException Error(int line, int column, string columnName, string reason) =>
        new(_file, line, column, columnName, reason);
}

/// <summary>What a full validation pass learned about a trace (its rows are not kept).</summary>
public sealed record TraceInfo(
    Trace Trace,
    long Samples,
    long FirstTime_ms,
    long LastTime_ms,
    long SocReferenceSamples,
    int FirstCurrent_mA,
    int[] FirstCell_mV,
    int[] FirstTemp_dC)
{
    public long Duration_ms => LastTime_ms - FirstTime_ms;
}
