using System.Globalization;
using System.Text;

namespace Bms.Traces.Import;

/// <summary>Which of the two ARTS-Lab Samsung 30Q file layouts a recording came from.</summary>
public enum Samsung30qFormat
{
    /// <summary>Constant-current discharge: no header, UTF-8 BOM, columns time s, current A, voltage V,
    /// power W, surface temperature °C, hoop strain, ambient temperature °C.</summary>
    ConstantCurrent,
    /// <summary>HPPC test: header <c>current,voltage,temperature,soc</c>; one row per second.</summary>
    Hppc,
}

/// <summary>Raised for a malformed recording: names the file, the 1-based line, the field and the reason.</summary>
public sealed class RecordingFormatException : FormatException
{
    public RecordingFormatException(string file, int line, string field, string reason)
        : base($"{file}:{line}: field '{field}': {reason}")
    {
        File = file;
        Line = line;
        Field = field;
        Reason = reason;
    }

    public string File { get; }
    public int Line { get; }
    public string Field { get; }
    public string Reason { get; }
}

/// <summary>
/// One Samsung INR18650-30Q laboratory recording in physical units (double precision, host only), with the
/// true state of charge defined as in shared/data/README.md: 100 × (charge still to be delivered until the end
/// of the file's final discharge) / (charge delivered from the full start to that end).
/// Source data: ARTS-Lab, "Dataset Electrothermal Deformation Characterization for Samsung 30Q Cell", CC BY-SA 4.0.
/// </summary>
public sealed class Samsung30qRecording
{
    private Samsung30qRecording(string name, Samsung30qFormat format, double[] time, double[] current,
        double[] voltage, double[] temperature, double[] throughput)
    {
        Name = name;
        Format = format;
        Time_s = time;
        Current_A = current;
        Voltage_V = voltage;
        SurfaceTemperature_C = temperature;
        int n = time.Length;
        // End of the final discharge: where the cumulative throughput is lowest (the deepest point).
        int end = 0;
        for (int k = 1; k < n; k++) if (throughput[k] < throughput[end]) end = k;
        EndOfDischargeIndex = end;
        double delivered = throughput[0] - throughput[end];
        if (!(delivered > 0)) throw new RecordingFormatException(name, 0, "current", "the recording never discharges; no state of charge can be defined");
        TrueSoc_pct = new double[n];
        for (int k = 0; k < n; k++) TrueSoc_pct[k] = 100.0 * (throughput[k] - throughput[end]) / delivered;
        // Capacity in Ah from the current column (HPPC throughput is in % of the cycler's reference, so integrate again).
        double ah = 0;
        for (int k = 1; k <= end; k++) ah -= 0.5 * (current[k] + current[k - 1]) * (time[k] - time[k - 1]) / 3600.0;
        DischargedCapacity_Ah = ah;
    }

    public string Name { get; }
    public Samsung30qFormat Format { get; }
    public double[] Time_s { get; }
    public double[] Current_A { get; }
    public double[] Voltage_V { get; }
    public double[] SurfaceTemperature_C { get; }
    /// <summary>True state of charge per row, per data/README.md (0 at the end of the final discharge).</summary>
    public double[] TrueSoc_pct { get; }
    public int EndOfDischargeIndex { get; }
    /// <summary>Net charge delivered from the start to the end of the final discharge, integrated from the current column.</summary>
    public double DischargedCapacity_Ah { get; }
    public int Count => Time_s.Length;

    /// <summary>Reads either format; the layout is recognised from the first line.</summary>
    public static Samsung30qRecording Read(string path)
    {
        using var reader = new StreamReader(path, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true);
        return Read(reader, Path.GetFileName(path));
    }

    public static Samsung30qRecording Read(TextReader reader, string name)
    {
        string? first = reader.ReadLine();
        if (first == null) throw new RecordingFormatException(name, 1, "(file)", "the file is empty");
        first = first.TrimStart('\uFEFF');
        var time = new List<double>();
        var current = new List<double>();
        var voltage = new List<double>();
        var temperature = new List<double>();
        var throughput = new List<double>();
        int lineNo = 1;
        if (first.Trim().Equals("current,voltage,temperature,soc", StringComparison.OrdinalIgnoreCase))
        {
            string[] names = { "current", "voltage", "temperature", "soc" };
            string? line;
            while ((line = reader.ReadLine()) != null)
            {
                lineNo++;
                if (line.Trim().Length == 0) continue;
                var f = Split(line, 4, names, name, lineNo);
                double i = Number(f[0], names[0], name, lineNo), v = Number(f[1], names[1], name, lineNo);
                double t = Number(f[2], names[2], name, lineNo), soc = Number(f[3], names[3], name, lineNo);
                CheckRanges(i, v, t, name, lineNo);
                time.Add(time.Count);
                current.Add(i);
                voltage.Add(v);
                temperature.Add(t);
                throughput.Add(soc); // the cycler's coulomb count, % of its reference capacity: Ah throughput
            }
            if (time.Count < 2) throw new RecordingFormatException(name, lineNo, "(file)", "fewer than two data rows");
            return new Samsung30qRecording(name, Samsung30qFormat.Hppc, time.ToArray(), current.ToArray(), voltage.ToArray(), temperature.ToArray(), throughput.ToArray());
        }

        string[] ccNames = { "time", "current", "voltage", "power", "surface temperature", "strain", "ambient temperature" };
        string? row = first;
        double q = 0;
        while (row != null)
        {
            if (row.Trim().Length > 0)
            {
                var f = Split(row, 7, ccNames, name, lineNo);
                double t = Number(f[0], ccNames[0], name, lineNo), i = Number(f[1], ccNames[1], name, lineNo);
                double v = Number(f[2], ccNames[2], name, lineNo), temp = Number(f[4], ccNames[4], name, lineNo);
                Number(f[3], ccNames[3], name, lineNo);
                Number(f[5], ccNames[5], name, lineNo);
                Number(f[6], ccNames[6], name, lineNo);
                CheckRanges(i, v, temp, name, lineNo);
                if (time.Count > 0)
                {
                    double dt = t - time[^1];
                    if (dt < 0) throw new RecordingFormatException(name, lineNo, ccNames[0], $"time goes backwards ({t} s after {time[^1]} s)");
                    q += 0.5 * (i + current[^1]) * dt / 3600.0;
                }
                time.Add(t);
                current.Add(i);
                voltage.Add(v);
                temperature.Add(temp);
                throughput.Add(q);
            }
            row = reader.ReadLine();
            lineNo++;
        }
        if (time.Count < 2) throw new RecordingFormatException(name, lineNo, "(file)", "fewer than two data rows");
        return new Samsung30qRecording(name, Samsung30qFormat.ConstantCurrent, time.ToArray(), current.ToArray(), voltage.ToArray(), temperature.ToArray(), throughput.ToArray());
    }

    private static string[] Split(string line, int expected, string[] names, string file, int lineNo)
    {
        var f = line.Split(',');
        if (f.Length != expected)
            throw new RecordingFormatException(file, lineNo, f.Length < expected ? names[f.Length] : "(row)",
                $"expected {expected} comma-separated fields, found {f.Length}");
        return f;
    }

    private static double Number(string text, string field, string file, int lineNo)
    {
        if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            throw new RecordingFormatException(file, lineNo, field, $"'{text}' is not a number");
        return value;
    }

    private static void CheckRanges(double current, double voltage, double temperature, string file, int lineNo)
    {
        // Plausibility for one 18650 cell; values outside cannot be represented honestly in a trace.
        if (Math.Abs(current) > 1000) throw new RecordingFormatException(file, lineNo, "current", $"{current} A is not plausible for one cell");
        if (voltage < 0 || voltage > 10) throw new RecordingFormatException(file, lineNo, "voltage", $"{voltage} V is outside 0..10 V");
        if (temperature < -100 || temperature > 300) throw new RecordingFormatException(file, lineNo, "temperature", $"{temperature} °C is outside -100..300 °C");
    }
}
