namespace Bms.Emulators.Bq76952;

/// <summary>
/// The fewest I2C bytes any host can spend on one full BQ76952 scan, derived from the protocol alone: every
/// value the scan must return (Safety Status A/B/C, Battery Status, the cell voltages, stack voltage, CC2 current,
/// Alarm Status, TS temperatures, die temperature) sits at a fixed register; a block read costs three overhead
/// bytes (address+W, register, address+R) plus the register bytes it spans (doubled in CRC mode, each byte
/// followed by its CRC). Reading through a gap is worth it exactly when the gap costs no more than a new
/// transaction, so a left-to-right merge gives the optimum.
/// </summary>
public static class Bq76952BusBudget
{
    private const int TransactionOverheadBytes = 3;

    /// <summary>
    /// Minimum bus bytes per scan for <paramref name="cells"/> cells on inputs 1..cells (16 = every input) and
    /// <paramref name="temps"/> temperature channels: thermistors on TS1.. (temps - 1 of them) plus the die.
    /// </summary>
    public static int MinimumBytesPerScan(int cells, int temps, bool crcMode)
    {
        if (cells < 3 || cells > 16) throw new ArgumentOutOfRangeException(nameof(cells), "BQ76952 scans 3..16 cells");
        if (temps < 1 || temps > 4) throw new ArgumentOutOfRangeException(nameof(temps), "1..4 channels: up to three TS thermistors plus the die");
        var needed = new bool[0x80];
        void Need(int register, int length) { for (int i = 0; i < length; i++) needed[register + i] = true; }
        Need(0x03, 1); Need(0x05, 1); Need(0x07, 1);   // Safety Status A, B, C
        Need(0x12, 2);                                 // Battery Status
        for (int c = 0; c < cells; c++) Need(0x14 + 2 * c, 2);
        Need(0x34, 2);                                 // stack
        Need(0x3A, 2);                                 // CC2 current
        Need(0x62, 2);                                 // Alarm Status
        Need(0x68, 2);                                 // die temperature
        for (int t = 0; t < temps - 1; t++) Need(0x70 + 2 * t, 2);

        int bytesPerRegister = crcMode ? 2 : 1;
        int total = 0;
        int last = -1;
        for (int r = 0; r < needed.Length; r++)
        {
            if (!needed[r]) continue;
            int gap = r - last - 1;
            if (last >= 0 && gap * bytesPerRegister <= TransactionOverheadBytes)
                total += (gap + 1) * bytesPerRegister;
            else
                total += TransactionOverheadBytes + bytesPerRegister;
            last = r;
        }
        return total;
    }
}
