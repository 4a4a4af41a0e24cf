namespace Bms.Emulators.Common;

/// <summary>
/// The checksums the emulated chips compute in their own silicon, written bit by bit straight from the
/// datasheets' definitions and independent of the drivers' table-driven code: an emulator that borrowed the
/// driver's routine could not catch a fault in it, and its work would be counted as firmware work by the
/// bench's IL counter (which instruments the driver assembly).
/// </summary>
public static class ChipChecksums
{
    /// <summary>CRC-8, polynomial 0x07 (x^8 + x^2 + x + 1), MSB first, no reflection, no final XOR: TI BQ769x0 / BQ76952 I2C.</summary>
    public static byte Crc8(byte crc, byte value)
    {
        int c = crc ^ value;
        for (int bit = 0; bit < 8; bit++)
            c = (c & 0x80) != 0 ? (c << 1) ^ 0x07 : c << 1;
        return (byte)c;
    }

    /// <summary>CRC-8 over two bytes, continuing from <paramref name="crc"/>.</summary>
    public static byte Crc8(byte crc, byte first, byte second) => Crc8(Crc8(crc, first), second);

    /// <summary>CRC-8 over three bytes, continuing from <paramref name="crc"/>.</summary>
    public static byte Crc8(byte crc, byte first, byte second, byte third) => Crc8(Crc8(Crc8(crc, first), second), third);

    /// <summary>CRC-8 over four bytes, continuing from <paramref name="crc"/>.</summary>
    public static byte Crc8(byte crc, byte first, byte second, byte third, byte fourth) => Crc8(Crc8(crc, first, second, third), fourth);

    /// <summary>
    /// LTC681x PEC15: polynomial 0x4599, seed 0x0010, data MSB first; the 15-bit remainder shifted left by one
    /// (bit 0 = 0) is the 16-bit word on the wire, high byte first.
    /// </summary>
    public static ushort Pec15(byte[] data, int offset, int count)
    {
        int remainder = 0x0010;
        for (int i = offset; i < offset + count; i++)
        {
            for (int bit = 7; bit >= 0; bit--)
            {
                int din = ((data[i] >> bit) & 1) ^ ((remainder >> 14) & 1);
                remainder = (remainder << 1) & 0x7FFF;
                if (din != 0) remainder ^= 0x4599;
            }
        }
        return (ushort)(remainder << 1);
    }

    /// <summary>Writes the PEC15 of <paramref name="count"/> bytes right after them, high byte first.</summary>
    public static void AppendPec15(byte[] data, int offset, int count)
    {
        ushort pec = Pec15(data, offset, count);
        data[offset + count] = (byte)(pec >> 8);
        data[offset + count + 1] = (byte)pec;
    }

    /// <summary>true when the two bytes after the data hold their PEC15.</summary>
    public static bool CheckPec15(byte[] data, int offset, int count)
    {
        ushort pec = Pec15(data, offset, count);
        return data[offset + count] == (byte)(pec >> 8) && data[offset + count + 1] == (byte)pec;
    }
}
