namespace Bms.Traces;

/// <summary>
/// A trace file that breaks format v1 (DESIGN.md section 6). The message names the file, the 1-based line,
/// the 1-based column (field) where that applies, and the reason, in the form
/// <c>file:line:column: reason</c> that editors and CI logs turn into links.
/// </summary>
public sealed class TraceFormatException : Exception
{
    public TraceFormatException(string file, int line, int column, string? columnName, string reason)
        : base(Format(file, line, column, columnName, reason))
    {
        File = file;
        Line = line;
        Column = column;
        ColumnName = columnName;
        Reason = reason;
    }

    /// <summary>File name (or the name given to the reader).</summary>
    public string File { get; }

    /// <summary>1-based line; 0 when the problem concerns the whole file (for example: it is empty).</summary>
    public int Line { get; }

    /// <summary>1-based field in the CSV row; 0 when the problem concerns the whole line.</summary>
    public int Column { get; }

    /// <summary>Column name from the header row, when known.</summary>
    public string? ColumnName { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Reason { get; }

    private static string Format(string file, int line, int column, string? columnName, string reason)
    {
        string where = file;
        if (line > 0) where += ":" + line;
        if (column > 0) where += ":" + column;
        string name = columnName is null ? "" : " (" + columnName + ")";
        return where + ": " + (column > 0 ? "column " + column + name + ": " : "") + reason;
    }
}
