namespace Bms.Drivers.Common
{
    /// <summary>
    /// CRC-8 with polynomial 0x07 (x^8 + x^2 + x + 1), no reflection, no final XOR: the I2C CRC of the TI
    /// BQ769x0 and BQ76952. Table-driven; the table is built once, so computing allocates nothing.
    /// </summary>
    public static class Crc8
    {
        /// <summary>
        /// CRC of every single byte value (entry i = CRC of the byte i from 0): drivers index it directly
        /// in their per-byte loops, where a call per byte would cost more than the lookup itself.
        /// </summary>
        internal static readonly byte[] Table = BuildTable();

        private static byte[] BuildTable()
        {
            var table = new byte[256];
            for (int i = 0; i < 256; i++)
            {
                int crc = i;
                for (int bit = 0; bit < 8; bit++)
                {
                    crc = (crc & 0x80) != 0 ? ((crc << 1) ^ 0x07) : (crc << 1);
                }
                table[i] = (byte)crc;
            }
            return table;
        }

        /// <summary>Continues a CRC over one byte.</summary>
        public static byte Update(byte crc, byte value)
        {
            return Table[crc ^ value];
        }

        /// <summary>CRC of <paramref name="count"/> bytes starting from <paramref name="seed"/> (0 for a fresh CRC).</summary>
        public static byte Compute(byte[] data, int offset, int count, byte seed)
        {
            byte crc = seed;
            for (int i = 0; i < count; i++)
            {
                crc = Table[crc ^ data[offset + i]];
            }
            return crc;
        }

        /// <summary>CRC of <paramref name="count"/> bytes, starting from 0.</summary>
        public static byte Compute(byte[] data, int offset, int count)
        {
            return Compute(data, offset, count, 0);
        }
    }
}
