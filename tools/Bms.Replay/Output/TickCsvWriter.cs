using System.Globalization;
using System.Numerics;
using System.Text;

namespace Bms.Replay.Output;

/// <summary>
/// Writes the <c>--csv</c> file while the replay runs: one row per 100 ms tick. The first seven columns are
/// the contract (README "Tick CSV"); the ones after them are for debugging and may grow.
/// </summary>
public sealed class TickCsvWriter : IDisposable
{
    public const string Header =
        "time_ms,soc_pcm,contactors,charge_limit_mA,discharge_limit_mA,balancing_mask,level," +
        "current_mA,min_cell_mV,max_cell_mV,max_temp_dC,link_mV";

    private readonly TextWriter _writer;
    private readonly StringBuilder _row = new(160);

    public TickCsvWriter(string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        _writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
        _writer.Write(Header + "\n");
    }

    /// <summary>Cells whose balancing resistor is on as a decimal bit mask, cell 1 = bit 0 (any pack size).</summary>
    public static string BalancingMask(bool[]? cells)
    {
        if (cells is null) return "0";
        if (cells.Length <= 64)
        {
            ulong mask = 0;
            for (int i = 0; i < cells.Length; i++) if (cells[i]) mask |= 1UL << i;
            return mask.ToString(CultureInfo.InvariantCulture);
        }
        BigInteger big = BigInteger.Zero;
        for (int i = cells.Length - 1; i >= 0; i--) big = (big << 1) | (cells[i] ? BigInteger.One : BigInteger.Zero);
        return big.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Writes one row; <paramref name="measuredCurrent_mA"/> and the cell/temperature figures are what the firmware measured (empty when invalid).</summary>
    public void Write(long time_ms, int soc_pcm, string contactors, int chargeLimit_mA, int dischargeLimit_mA, string balancingMask,
        string level, int? measuredCurrent_mA, int? minCell_mV, int? maxCell_mV, int? maxTemp_dC, int link_mV)
    {
        var inv = CultureInfo.InvariantCulture;
        _row.Clear();
        _row.Append(time_ms.ToString(inv)).Append(',')
            .Append(soc_pcm.ToString(inv)).Append(',')
            .Append(contactors).Append(',')
            .Append(chargeLimit_mA.ToString(inv)).Append(',')
            .Append(dischargeLimit_mA.ToString(inv)).Append(',')
            .Append(balancingMask).Append(',')
            .Append(level).Append(',');
        AppendOptional(measuredCurrent_mA).Append(',');
        AppendOptional(minCell_mV).Append(',');
        AppendOptional(maxCell_mV).Append(',');
        AppendOptional(maxTemp_dC).Append(',');
        _row.Append(link_mV.ToString(inv)).Append('\n');
        _writer.Write(_row);
    }

    private StringBuilder AppendOptional(int? value) =>
        value is int v ? _row.Append(v.ToString(CultureInfo.InvariantCulture)) : _row;

    public void Dispose() => _writer.Dispose();
}
