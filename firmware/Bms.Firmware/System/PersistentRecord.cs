using Bms.Firmware.Storage;
using Bms.Hal;

namespace Bms.Firmware.Composition
{
    /// <summary>
    /// One small record (the estimator's state: SoC charge counters, offsets, SoH) kept in two alternating copies
    /// in non-volatile storage: magic, sequence, length, payload, CRC-32 over all of it. A write torn by power loss
    /// damages only the copy being written; loading takes the valid copy with the newer sequence.
    /// Buffers are allocated once; saving allocates nothing.
    /// </summary>
    public sealed class PersistentRecord
    {
        private const int HeaderSize = 12;
        private const int CrcSize = 4;
        private const uint Magic = 0x31545342; // "BST1"

        private readonly INonVolatileStorage _storage;
        private readonly int _baseAddress;
        private readonly int _payloadCapacity;
        private readonly int _copySize;
        private readonly byte[] _buffer;
        private uint _sequence;

        /// <summary>Creates the record for payloads up to <paramref name="payloadCapacity"/> bytes at <paramref name="baseAddress"/>.</summary>
        public PersistentRecord(INonVolatileStorage storage, int baseAddress, int payloadCapacity)
        {
            if (storage == null)
            {
                throw new System.ArgumentNullException("storage");
            }
            if (payloadCapacity <= 0)
            {
                throw new System.ArgumentOutOfRangeException("payloadCapacity");
            }
            _payloadCapacity = payloadCapacity;
            _copySize = HeaderSize + payloadCapacity + CrcSize;
            if (baseAddress < 0 || (long)baseAddress + 2L * _copySize > storage.Size)
            {
                throw new System.ArgumentOutOfRangeException("baseAddress", "record does not fit in the storage");
            }
            _storage = storage;
            _baseAddress = baseAddress;
            _buffer = new byte[_copySize];
            // Builds the CRC table now: its lazy initialisation would otherwise allocate inside the first save's tick.
            Crc32.Compute(_buffer, 0, 1);
        }

        /// <summary>Bytes of storage used for a payload capacity.</summary>
        public static int StorageSize(int payloadCapacity)
        {
            return 2 * (HeaderSize + payloadCapacity + CrcSize);
        }

        /// <summary>Bytes of storage this record uses.</summary>
        public int Size { get { return 2 * _copySize; } }

        /// <summary>Saves that failed.</summary>
        public int WriteFailures { get; private set; }

        /// <summary>
        /// Copies the newest valid payload into <paramref name="payload"/> and returns its length, or -1 when neither
        /// copy verifies.
        /// </summary>
        public int Load(byte[] payload)
        {
            int bestLength = -1;
            uint bestSequence = 0;
            int bestCopy = -1;
            for (int copy = 0; copy < 2; copy++)
            {
                int length = ReadCopy(copy);
                if (length < 0)
                {
                    continue;
                }
                uint sequence = GetU32(4);
                if (bestCopy < 0 || (int)(sequence - bestSequence) > 0)
                {
                    bestCopy = copy;
                    bestSequence = sequence;
                    bestLength = length;
                }
            }
            if (bestCopy < 0)
            {
                return -1;
            }
            ReadCopy(bestCopy);
            for (int i = 0; i < bestLength && i < payload.Length; i++)
            {
                payload[i] = _buffer[HeaderSize + i];
            }
            _sequence = bestSequence;
            return bestLength;
        }

        /// <summary>Writes <paramref name="length"/> bytes of payload into the older copy. false when the write failed.</summary>
        public bool Save(byte[] payload, int length)
        {
            if (length < 0 || length > _payloadCapacity)
            {
                return false;
            }
            _sequence++;
            PutU32(0, Magic);
            PutU32(4, _sequence);
            PutU32(8, (uint)length);
            for (int i = 0; i < length; i++)
            {
                _buffer[HeaderSize + i] = payload[i];
            }
            PutU32(HeaderSize + length, Crc32.Compute(_buffer, 0, HeaderSize + length));
            int copy = (int)(_sequence & 1);
            bool ok = _storage.Write(_baseAddress + copy * _copySize, _buffer, 0, HeaderSize + length + CrcSize);
            if (!ok)
            {
                WriteFailures++;
            }
            return ok;
        }

        // Reads one copy into the buffer; returns its payload length when it verifies, else -1.
        private int ReadCopy(int copy)
        {
            if (!_storage.Read(_baseAddress + copy * _copySize, _buffer, 0, _copySize))
            {
                return -1;
            }
            if (GetU32(0) != Magic)
            {
                return -1;
            }
            uint length = GetU32(8);
            if (length > (uint)_payloadCapacity)
            {
                return -1;
            }
            int n = (int)length;
            if (GetU32(HeaderSize + n) != Crc32.Compute(_buffer, 0, HeaderSize + n))
            {
                return -1;
            }
            return n;
        }

        private uint GetU32(int offset)
        {
            return (uint)(_buffer[offset] | (_buffer[offset + 1] << 8) | (_buffer[offset + 2] << 16) | (_buffer[offset + 3] << 24));
        }

        private void PutU32(int offset, uint value)
        {
            _buffer[offset] = (byte)value;
            _buffer[offset + 1] = (byte)(value >> 8);
            _buffer[offset + 2] = (byte)(value >> 16);
            _buffer[offset + 3] = (byte)(value >> 24);
        }
    }
}
