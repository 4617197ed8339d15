import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PART } from '../src';

test('the confinement part loads', () => assert.equal(PART, 'confinement'));
