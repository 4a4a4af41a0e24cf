namespace Bms.Firmware.Link
{
    /// <summary>CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection): check value "123456789" = 0x29B1.</summary>
    public static class Crc16Ccitt
    {
        private static readonly ushort[] Table = BuildTable();

        private static ushort[] BuildTable()
        {
            var table = new ushort[256];
            for (int i = 0; i < 256; i++)
            {
                int crc = i << 8;
                for (int bit = 0; bit < 8; bit++)
                {
                    crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
                }
                table[i] = (ushort)crc;
            }
            return table;
        }

        /// <summary>CRC of <paramref name="count"/> bytes.</summary>
        public static ushort Compute(byte[] data, int offset, int count)
        {
            int crc = 0xFFFF;
            for (int i = 0; i < count; i++)
            {
                crc = ((crc << 8) ^ Table[((crc >> 8) ^ data[offset + i]) & 0xFF]) & 0xFFFF;
            }
            return (ushort)crc;
        }
    }
}
