using Bms.Drivers.Bq769x0;

namespace Bms.Emulators.Bq769x0;

/// <summary>
/// The fewest I2C bytes a BQ769x0 scan can cost, derived from the protocol alone, to judge a driver's bus use.
/// A register read costs address+W, register, address+R (3 bytes) plus its data, each data byte followed by a
/// CRC byte in CRC mode; registers are read in ascending runs, so separated registers cost either another
/// transaction or the bytes in between. A full scan reads SYS_STAT, every connected cell input (datasheet
/// connection), BAT, the thermistors and the coulomb counter, and clears CC_READY (a write of address+W,
/// register, data, plus one CRC byte in CRC mode) so the next conversion can be told apart.
/// </summary>
public static class Bq769x0BusBudget
{
    private const int ReadOverhead = 3;

    /// <summary>
    /// Minimum bytes for one full scan of <paramref name="cells"/> cells and <paramref name="temps"/> thermistors
    /// on the smallest family member that takes that many cells (the cheapest register layout possible).
    /// </summary>
    public static int MinimumBytesPerScan(int cells, int temps, bool crcMode)
    {
        var variant = cells <= 5 ? Bq769x0Variant.Bq76920 : cells <= 10 ? Bq769x0Variant.Bq76930 : Bq769x0Variant.Bq76940;
        return MinimumBytesPerScan(variant, cells, temps, crcMode);
    }

    /// <summary>Minimum bytes for one full scan on a given family member, cells on the datasheet's recommended inputs.</summary>
    public static int MinimumBytesPerScan(Bq769x0Variant variant, int cells, int temps, bool crcMode)
    {
        if (temps < 0 || temps > (int)variant / 5) throw new ArgumentOutOfRangeException(nameof(temps), $"{variant} has {(int)variant / 5} thermistor inputs");
        int perByte = crcMode ? 2 : 1;

        var needed = new SortedSet<int>();
        foreach (int input in Bq769x0Conversions.DefaultCellInputs(variant, cells))
        {
            needed.Add(Bq769x0Registers.Vc1Hi + 2 * input);
            needed.Add(Bq769x0Registers.Vc1Hi + 2 * input + 1);
        }
        foreach (int register in new[] { Bq769x0Registers.BatHi, Bq769x0Registers.CcHi })
        {
            needed.Add(register);
            needed.Add(register + 1);
        }
        for (int k = 0; k < temps; k++)
        {
            needed.Add(Bq769x0Registers.Ts1Hi + 2 * k);
            needed.Add(Bq769x0Registers.Ts1Hi + 2 * k + 1);
        }

        int status = ReadOverhead + perByte;                 // SYS_STAT
        int clearCcReady = 3 + (crcMode ? 1 : 0);           // write SYS_STAT = CC_READY
        return status + CheapestCover(needed.ToArray(), perByte) + clearCcReady;
    }

    // Dynamic programme over the sorted register list: cost[i] = cheapest way to read registers 0..i-1,
    // the last read spanning registers j..i-1 (and every register in between).
    private static int CheapestCover(int[] registers, int perByte)
    {
        var cost = new int[registers.Length + 1];
        for (int i = 1; i <= registers.Length; i++)
        {
            cost[i] = int.MaxValue;
            for (int j = 0; j < i; j++)
            {
                int span = registers[i - 1] - registers[j] + 1;
                cost[i] = Math.Min(cost[i], cost[j] + ReadOverhead + span * perByte);
            }
        }
        return cost[registers.Length];
    }
}
