namespace Bms.Drivers.Common
{
    /// <summary>
    /// The 15-bit packet error code of the ADI LTC681x / ADBMS181x family: polynomial 0x4599
    /// (x^15 + x^14 + x^10 + x^8 + x^7 + x^4 + x^3 + 1), seed 0x0010, result shifted left by one so the
    /// 16-bit word ends in 0, transmitted high byte first. Table-driven, allocation-free.
    /// </summary>
    public static class Pec15
    {
        private const int Polynomial = 0x4599;
        private const int Seed = 0x0010;
        /// <summary>
        /// The remainder step of every byte value (entry i = the 15-bit remainder of i shifted through the
        /// polynomial): drivers that check many blocks index it in their own loops instead of calling per block.
        /// </summary>
        internal static readonly ushort[] Table = BuildTable();

        private static ushort[] BuildTable()
        {
            var table = new ushort[256];
            for (int i = 0; i < 256; i++)
            {
                int remainder = i << 7;
                for (int bit = 8; bit > 0; bit--)
                {
                    if ((remainder & 0x4000) != 0)
                    {
                        remainder = (remainder << 1) ^ Polynomial;
                    }
                    else
                    {
                        remainder <<= 1;
                    }
                }
                table[i] = (ushort)(remainder & 0x7FFF);
            }
            return table;
        }

        /// <summary>PEC of <paramref name="count"/> bytes, as the 16-bit word that goes on the wire (bit 0 is 0).</summary>
        public static ushort Compute(byte[] data, int offset, int count)
        {
            int remainder = Seed;
            // Static field and bound into locals: fewer instructions per byte on an IL interpreter.
            ushort[] table = Table;
            int end = offset + count;
            for (int i = offset; i < end; i++)
            {
                // Bits above the 15 of the remainder never reach the index (masked) or the low 15 bits (only
                // shifted left), so they are dropped once at the end instead of at every byte.
                remainder = (remainder << 8) ^ table[((remainder >> 7) ^ data[i]) & 0xFF];
            }
            return (ushort)((remainder & 0x7FFF) << 1);
        }

        /// <summary>Writes the PEC of <paramref name="count"/> bytes right after them, high byte first.</summary>
        public static void Append(byte[] data, int offset, int count)
        {
            ushort pec = Compute(data, offset, count);
            data[offset + count] = (byte)(pec >> 8);
            data[offset + count + 1] = (byte)pec;
        }

        /// <summary>true when the two bytes after the data hold its correct PEC.</summary>
        public static bool Check(byte[] data, int offset, int count)
        {
            ushort pec = Compute(data, offset, count);
            return data[offset + count] == (byte)(pec >> 8) && data[offset + count + 1] == (byte)pec;
        }
    }
}
