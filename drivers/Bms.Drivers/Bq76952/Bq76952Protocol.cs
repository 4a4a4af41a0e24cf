using Bms.Drivers.Common;

namespace Bms.Drivers.Bq76952
{
    /// <summary>
    /// Byte-level rules of the BQ76952 I2C protocol: CRC framing, subcommand checksum and length, and the
    /// conversions from raw register values to engineering units. Pure functions, allocation-free.
    /// </summary>
    public static class Bq76952Protocol
    {
        /// <summary>0 °C in 0.1 K, rounded (273.15 K).</summary>
        public const int ZeroCelsius_dK = 2732;

        /// <summary>
        /// CRC of the first data byte of a write: covers [address+W, register, data0].
        /// </summary>
        public static byte WriteFirstCrc(int address7, byte register, byte data0)
        {
            byte crc = Crc8.Update(0, (byte)(address7 << 1));
            crc = Crc8.Update(crc, register);
            return Crc8.Update(crc, data0);
        }

        /// <summary>
        /// CRC of the first data byte of a register read: covers [address+W, register, address+R, data0].
        /// </summary>
        public static byte ReadFirstCrc(int address7, byte register, byte data0)
        {
            byte crc = Crc8.Update(0, (byte)(address7 << 1));
            crc = Crc8.Update(crc, register);
            crc = Crc8.Update(crc, (byte)((address7 << 1) | 1));
            return Crc8.Update(crc, data0);
        }

        /// <summary>CRC of every later data byte (read or write): covers that byte alone.</summary>
        public static byte NextCrc(byte data)
        {
            return Crc8.Update(0, data);
        }

        /// <summary>
        /// Frames a register write into <paramref name="frame"/> (register byte, then the data, each data byte
        /// followed by its CRC when <paramref name="crcMode"/> is on). Returns the frame length.
        /// </summary>
        public static int FrameWrite(byte[] frame, int address7, byte register, byte[] data, int offset, int count, bool crcMode)
        {
            frame[0] = register;
            int n = 1;
            for (int i = 0; i < count; i++)
            {
                byte value = data[offset + i];
                frame[n++] = value;
                if (crcMode)
                {
                    frame[n++] = i == 0 ? WriteFirstCrc(address7, register, value) : NextCrc(value);
                }
            }
            return n;
        }

        /// <summary>
        /// Checks a CRC-mode read answer (data, crc, data, crc, ...) of <paramref name="count"/> data bytes and
        /// copies the data to <paramref name="data"/>. false at the first wrong CRC.
        /// </summary>
        public static bool UnframeRead(byte[] answer, int answerOffset, int address7, byte register, byte[] data, int dataOffset, int count)
        {
            for (int i = 0; i < count; i++)
            {
                byte value = answer[answerOffset + 2 * i];
                byte expected = i == 0 ? ReadFirstCrc(address7, register, value) : NextCrc(value);
                if (answer[answerOffset + 2 * i + 1] != expected)
                {
                    return false;
                }
                data[dataOffset + i] = value;
            }
            return true;
        }

        /// <summary>Subcommand checksum: the one's complement of the byte sum of 0x3E, 0x3F and the data.</summary>
        public static byte SubcommandChecksum(byte[] bytes, int offset, int count)
        {
            int sum = 0;
            for (int i = 0; i < count; i++)
            {
                sum += bytes[offset + i];
            }
            return (byte)(~sum & 0xFF);
        }

        /// <summary>Value written to 0x61: data bytes + 4 (the two command bytes, checksum and length).</summary>
        public static byte SubcommandLength(int dataCount)
        {
            return (byte)(dataCount + 4);
        }

        /// <summary>Signed 16-bit little-endian value.</summary>
        public static int ReadInt16(byte[] bytes, int offset)
        {
            return (short)(bytes[offset] | (bytes[offset + 1] << 8));
        }

        /// <summary>Unsigned 16-bit little-endian value.</summary>
        public static int ReadUInt16(byte[] bytes, int offset)
        {
            return bytes[offset] | (bytes[offset + 1] << 8);
        }

        /// <summary>Cell voltage register (signed mV) to mV.</summary>
        public static int CellVoltage_mV(byte low, byte high)
        {
            return (short)(low | (high << 8));
        }

        /// <summary>Temperature register (0.1 K) to 0.1 °C.</summary>
        public static int Temperature_dC(int raw_dK)
        {
            return raw_dK - ZeroCelsius_dK;
        }

        /// <summary>
        /// IEEE-754 single-precision bits of numerator / denominator (both positive), rounded to nearest,
        /// computed with integers only (the CC Gain calibration value is a float in data memory).
        /// </summary>
        public static int SingleBitsOfRatio(long numerator, long denominator)
        {
            if (numerator <= 0 || denominator <= 0)
            {
                return 0;
            }
            int exponent = 0;
            // Scale until numerator / denominator lies in [2^23, 2^24): that quotient is the 24-bit mantissa.
            while (numerator < (denominator << 23))
            {
                numerator <<= 1;
                exponent--;
            }
            while (numerator >= (denominator << 24))
            {
                denominator <<= 1;
                exponent++;
            }
            long mantissa = (numerator + denominator / 2) / denominator;
            if (mantissa >= (1L << 24))
            {
                mantissa >>= 1;
                exponent++;
            }
            int biased = exponent + 23 + 127;
            return (biased << 23) | (int)(mantissa & 0x7FFFFF);
        }
    }
}
