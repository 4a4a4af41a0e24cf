namespace Bms.Firmware.Link
{
    /// <summary>Message types of the simulation link (host → device below 0x80, replies from 0x80).</summary>
    public static class LinkMessageType
    {
        /// <summary>Host → device: pack shape; the device (re)starts the firmware for it. Payload: u16 version, u8 cells, u8 temps, i32 capacity_mAh, i32 initial SoC pcm (−1 = from OCV), u8 chemistry length, ASCII chemistry name.</summary>
        public const byte Hello = 0x01;
        /// <summary>Host → device: one trace sample. Payload: i64 time_ms (trace time, never decreasing), i32 current_mA
        /// (int.MinValue = missing), i16 cell mV × cells, i16 temperature dC × temps (short.MinValue = missing).
        /// Sequence numbers follow the Hello's: Hello n, samples n+1, n+2, ... (mod 256); a repeated number asks for
        /// the last decision again.</summary>
        public const byte Sample = 0x02;
        /// <summary>Host → device: end of the stream.</summary>
        public const byte Bye = 0x03;
        /// <summary>Device → host: accepted Hello. Payload: u16 version, u8 cells, u8 temps.</summary>
        public const byte HelloAck = 0x81;
        /// <summary>Device → host: what the firmware decided after the sample with the same sequence number.
        /// Payload: i64 time_ms (the sample's trace time, echoed), i32 pack SoC pcm, u8 contactor state
        /// (ContactorState), i32 charge limit mA, i32 discharge limit mA, u8 highest level (ProtectionLevel),
        /// i32 board compute µs for this sample, balancing bitmap (ceil(cells / 8) bytes, cell 1 = bit 0),
        /// u8 event count, u8 events dropped (more than fit in one decision), then per event: i64 time_ms
        /// (firmware time: 0 at the first sample), u8 code (BmsEventCode), u8 level, i8 cell (−1 = none),
        /// u8 active (1 = raised, 0 = cleared).</summary>
        public const byte Decision = 0x82;
        /// <summary>Device → host: refused frame. Payload: u8 reason (<see cref="LinkNakReason"/>), u8 expected sequence.</summary>
        public const byte Nak = 0x83;
    }

    /// <summary>Why the device refused a frame.</summary>
    public static class LinkNakReason
    {
        /// <summary>A sample arrived out of sequence (a frame was lost or repeated).</summary>
        public const byte SequenceGap = 1;
        /// <summary>A sample arrived before a Hello.</summary>
        public const byte NotConfigured = 2;
        /// <summary>The payload does not match the configured pack or the protocol.</summary>
        public const byte Malformed = 3;
    }

    /// <summary>Little-endian field access on frame buffers (no allocation).</summary>
    public static class LinkBytes
    {
        /// <summary>Protocol version carried in Hello / HelloAck.</summary>
        public const int ProtocolVersion = 1;

        /// <summary>Writes a 16-bit value.</summary>
        public static void PutInt16(byte[] b, int at, int value)
        {
            b[at] = (byte)value;
            b[at + 1] = (byte)(value >> 8);
        }

        /// <summary>Writes a 32-bit value.</summary>
        public static void PutInt32(byte[] b, int at, int value)
        {
            b[at] = (byte)value;
            b[at + 1] = (byte)(value >> 8);
            b[at + 2] = (byte)(value >> 16);
            b[at + 3] = (byte)(value >> 24);
        }

        /// <summary>Writes a 64-bit value.</summary>
        public static void PutInt64(byte[] b, int at, long value)
        {
            PutInt32(b, at, (int)value);
            PutInt32(b, at + 4, (int)(value >> 32));
        }

        /// <summary>Reads a signed 16-bit value.</summary>
        public static int GetInt16(byte[] b, int at)
        {
            return (short)(b[at] | (b[at + 1] << 8));
        }

        /// <summary>Reads an unsigned 16-bit value.</summary>
        public static int GetUInt16(byte[] b, int at)
        {
            return b[at] | (b[at + 1] << 8);
        }

        /// <summary>Reads a signed 32-bit value.</summary>
        public static int GetInt32(byte[] b, int at)
        {
            return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24);
        }

        /// <summary>Reads a signed 64-bit value.</summary>
        public static long GetInt64(byte[] b, int at)
        {
            return (uint)GetInt32(b, at) | ((long)GetInt32(b, at + 4) << 32);
        }
    }
}
